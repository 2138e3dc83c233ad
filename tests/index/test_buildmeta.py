"""Unpacking an sdist for its build backend (:mod:`depsplit.index.buildmeta`)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from depsplit.index.buildmeta import BuildFailed, unpack


def _tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for info in members:
            body = data.get(info.name)
            if body is not None:
                info.size = len(body)
            tf.addfile(info, io.BytesIO(body) if body is not None else None)
    return path


def test_a_hard_link_inside_the_sdist_is_unpacked(tmp_path: Path) -> None:
    """pandocfilters 1.4.2 ships README.rst as a hard link to README, which its setup.py
    reads: leaving it out made its metadata fail to build."""
    readme = tarfile.TarInfo("pf-1.0/README")
    link = tarfile.TarInfo("pf-1.0/README.rst")
    link.type, link.linkname = tarfile.LNKTYPE, "pf-1.0/README"
    setup = tarfile.TarInfo("pf-1.0/setup.py")
    archive = _tar(
        tmp_path / "pf-1.0.tar.gz",
        [readme, link, setup],
        {"pf-1.0/README": b"hello\n", "pf-1.0/setup.py": b"print()\n"},
    )
    source = unpack(archive, tmp_path / "src")
    assert source == tmp_path / "src" / "pf-1.0"
    assert (source / "README.rst").read_text() == "hello\n"


def test_a_member_leaving_the_directory_is_refused(tmp_path: Path) -> None:
    evil = tarfile.TarInfo("../evil.py")
    archive = _tar(tmp_path / "x-1.0.tar.gz", [evil], {"../evil.py": b"x\n"})
    with pytest.raises(BuildFailed, match="outside its directory"):
        unpack(archive, tmp_path / "src")
    assert not (tmp_path / "evil.py").exists()
