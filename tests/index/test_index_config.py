"""pip's configuration conventions, page parsing and wheel tags."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from depsplit.index import PYPI_SIMPLE, IndexConfig, from_pip_environment
from depsplit.index.cache import Cache, url_key
from depsplit.index.config import config_files
from depsplit.index.finder import parse_html_page, parse_json_page, parse_metadata
from depsplit.index.tags import glibc_of, linux_platforms, target_tags, wheel_rank
from depsplit.model import Target
from depsplit.target import SUPPORTED_PYTHONS


def test_defaults_are_pypi(tmp_path: Path) -> None:
    config = from_pip_environment(environ={"HOME": str(tmp_path)}, files=[])
    assert config.index_url == PYPI_SIMPLE
    assert config.indexes == (PYPI_SIMPLE,)
    assert config.extra_index_urls == ()
    assert not config.offline


def test_pip_conf_sections_env_and_cli_precedence(tmp_path: Path) -> None:
    global_conf = tmp_path / "etc.conf"
    global_conf.write_text(
        "[global]\nindex-url = https://global.example/simple\ntimeout = 7\n"
        "[install]\nextra-index-url =\n    https://one.example/simple\n"
        "    https://two.example/simple\nfind_links = /wheels\n"
        "[freeze]\nindex-url = https://ignored.example/simple\n"
    )
    user_conf = tmp_path / "user.conf"
    user_conf.write_text("[global]\nindex-url = https://user.example/simple\n")
    config = from_pip_environment(environ={}, files=[global_conf, user_conf])
    assert config.index_url == "https://user.example/simple"
    assert config.extra_index_urls == ("https://one.example/simple", "https://two.example/simple")
    assert config.find_links == ("/wheels",)
    assert config.timeout == 7.0
    assert config.sources == (str(global_conf), str(user_conf))

    env = {
        "PIP_INDEX_URL": "https://env.example/simple",
        "PIP_EXTRA_INDEX_URL": "https://e1.example/simple https://e2.example/simple",
        "PIP_FIND_LINKS": "/other",
        "PIP_NO_INDEX": "false",
    }
    config = from_pip_environment(environ=env, files=[global_conf, user_conf])
    assert config.index_url == "https://env.example/simple"
    assert config.extra_index_urls == ("https://e1.example/simple", "https://e2.example/simple")
    assert config.find_links == ("/other",)
    assert not config.no_index

    config = from_pip_environment(
        {
            "index_url": "https://cli.example/simple",
            "extra_index_urls": ["https://cli-extra.example/simple"],
            "offline": True,
            "timeout": None,
        },
        environ=env,
        files=[global_conf],
    )
    assert config.index_url == "https://cli.example/simple"
    assert config.extra_index_urls[-1] == "https://cli-extra.example/simple"
    assert config.offline
    assert config.timeout == 7.0
    with pytest.raises(TypeError):
        from_pip_environment({"bogus": 1}, environ={}, files=[])


def test_config_file_locations(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_CONFIG_DIRS": "/etc/xdg"}
    files = config_files(env)
    assert files == [
        Path("/etc/xdg/pip/pip.conf"),
        Path("/etc/pip.conf"),
        home / ".pip" / "pip.conf",
        home / ".config" / "pip" / "pip.conf",
    ]
    explicit = tmp_path / "pip.conf"
    explicit.write_text("[global]\nindex-url = https://explicit.example/simple\n")
    files = config_files({**env, "PIP_CONFIG_FILE": str(explicit)})
    assert files[-1] == explicit
    assert home / ".pip" / "pip.conf" not in files  # an existing PIP_CONFIG_FILE replaces them
    assert config_files({**env, "PIP_CONFIG_FILE": os.devnull}) == []
    config = from_pip_environment(environ={**env, "PIP_CONFIG_FILE": str(explicit)})
    assert config.index_url == "https://explicit.example/simple"


def test_cache_dir_from_environment(tmp_path: Path) -> None:
    config = from_pip_environment(environ={"DEPSPLIT_CACHE_DIR": str(tmp_path)}, files=[])
    assert config.cache_dir == tmp_path
    assert Cache.from_config(config).root == tmp_path / "index-v1"


def test_repr_redacts_credentials() -> None:
    config = IndexConfig(
        index_url="https://user:hunter2@private.example/simple",
        extra_index_urls=("https://tok3n@other.example/simple",),
    )
    text = repr(config)
    assert "hunter2" not in text
    assert "tok3n" not in text
    assert "user:****@private.example" in text
    assert url_key("https://user:hunter2@h/simple/") == url_key("https://h/simple/")


def test_html_page_attributes() -> None:
    body = b"""<html><body>
    <a href="../../f/pkg-1.0-py3-none-any.whl#sha256=ABC" data-requires-python="&gt;=3.8"
       data-core-metadata="sha256=DEF">pkg-1.0-py3-none-any.whl</a>
    <a href="https://cdn.example/pkg-0.9.tar.gz" data-yanked="">pkg-0.9.tar.gz</a>
    <a href="pkg-0.8-py3-none-any.whl" data-dist-info-metadata="true" data-yanked="bad">x</a>
    </body></html>"""
    links = parse_html_page(body, "https://idx.example/simple/pkg/")
    assert links[0].url == "https://idx.example/f/pkg-1.0-py3-none-any.whl"
    assert links[0].hashes == (("sha256", "abc"),)
    assert links[0].requires_python == ">=3.8"
    assert links[0].metadata == (("sha256", "def"),)
    assert links[0].yanked is None
    assert links[1].yanked == ""
    assert links[1].metadata is None
    assert links[2].metadata == ()
    assert links[2].yanked == "bad"
    assert links[2].url == "https://idx.example/simple/pkg/pkg-0.8-py3-none-any.whl"


def test_json_page_attributes() -> None:
    body = b"""{"meta": {"api-version": "1.1"}, "name": "pkg", "files": [
      {"filename": "pkg-1.0-py3-none-any.whl", "url": "/f/pkg-1.0-py3-none-any.whl",
       "hashes": {"sha256": "AA"}, "requires-python": ">=3.9", "yanked": "oops",
       "core-metadata": {"sha256": "bb"}},
      {"filename": "pkg-1.0.tar.gz", "url": "pkg-1.0.tar.gz", "hashes": {},
       "dist-info-metadata": true}]}"""
    links = parse_json_page(body, "https://idx.example/simple/pkg/")
    assert links[0].url == "https://idx.example/f/pkg-1.0-py3-none-any.whl"
    assert links[0].hashes == (("sha256", "aa"),)
    assert links[0].yanked == "oops"
    assert links[0].metadata == (("sha256", "bb"),)
    assert links[1].yanked is None
    assert links[1].metadata == ()
    with pytest.raises(ValueError, match="PEP 691"):
        parse_json_page(b"[]", "https://idx.example/simple/pkg/")


def test_metadata_parsing_is_strict_about_dependencies() -> None:
    meta = parse_metadata(
        b"Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Python: >=3.8\n"
        b"Requires-Dist: b>=1; extra == 'x'\nProvides-Extra: x\n\n",
        source="a.whl",
    )
    assert meta.requires_python == ">=3.8"
    assert [str(r) for r in meta.requires_dist] == ['b>=1; extra == "x"']
    with pytest.raises(ValueError, match="invalid Requires-Dist"):
        parse_metadata(
            b"Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: b >>= 1\n\n", source="a"
        )


def test_wheel_tags_for_the_container() -> None:
    linux = Target("linux/amd64")
    assert linux_platforms("x86_64")[:2] == ["manylinux_2_41_x86_64", "manylinux_2_40_x86_64"]
    assert "manylinux2014_x86_64" in linux_platforms("x86_64")
    assert linux_platforms("x86_64")[-1] == "linux_x86_64"

    def rank(filename: str, python: str, target: Target = linux) -> int | None:
        return wheel_rank(parse_wheel_filename(filename)[3], target, python)

    tf = "tf-2.12.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    assert rank(tf, "3.11") is not None
    assert rank(tf, "3.12") is None
    assert rank("a-1-cp38-abi3-manylinux1_x86_64.whl", "3.13") is not None
    assert rank("a-1-cp38-abi3-manylinux1_x86_64.whl", "3.13", Target("linux/arm64")) is None
    assert rank("a-1-py3-none-any.whl", "3.9") is not None
    assert rank("a-1-cp312-cp312-musllinux_1_1_x86_64.whl", "3.12") is None
    assert rank("a-1-cp312-cp312-manylinux_2_42_x86_64.whl", "3.12") is None  # newer glibc
    assert rank("a-1-cp312-cp312-win_amd64.whl", "3.12") is None
    assert rank("a-1-cp312-cp312-manylinux_2_41_x86_64.whl", "3.12") is not None  # trixie
    # Specific wheels are preferred to pure ones.
    assert rank(tf, "3.11") < rank("tf-1-py3-none-any.whl", "3.11")  # type: ignore[operator]


def test_wheel_tags_per_minor_image() -> None:
    """Each minor's image: its ABI (pymalloc ``m`` before 3.8, UCS-4 ``mu`` on 2.7) and the
    glibc of the Debian release its last ``python:X.Y-slim`` image is built on."""
    linux = Target("linux/amd64")

    def rank(filename: str, python: str) -> int | None:
        return wheel_rank(parse_wheel_filename(filename)[3], linux, python)

    numpy37 = "numpy-1.18.4-cp37-cp37m-manylinux1_x86_64.whl"
    assert rank(numpy37, "3.7") is not None
    assert rank(numpy37, "3.8") is None
    assert rank(numpy37, "3.6") is None
    assert rank("a-1-cp37-cp37-manylinux1_x86_64.whl", "3.7") is None  # no such ABI there
    assert rank("a-1-cp38-cp38-manylinux1_x86_64.whl", "3.8") is not None
    assert rank("a-1-cp35-cp35m-manylinux1_x86_64.whl", "3.5") is not None
    assert rank("a-1-cp36-cp36m-manylinux2014_x86_64.whl", "3.6") is not None
    # 2.7 in the official image is a UCS-4 build.
    assert rank("a-1-cp27-cp27mu-manylinux1_x86_64.whl", "2.7") is not None
    assert rank("a-1-cp27-cp27m-manylinux1_x86_64.whl", "2.7") is None
    assert rank("a-1-py2.py3-none-any.whl", "2.7") is not None
    assert rank("a-1-py3-none-any.whl", "2.7") is None
    assert rank("a-1-py2-none-any.whl", "3.6") is None
    # glibc per image: buster 2.28 (2.7, 3.5), bullseye 2.31 (3.6), bookworm 2.36 (3.7,
    # 3.8), trixie 2.41 (3.9 on).
    assert [glibc_of(p) for p in SUPPORTED_PYTHONS] == [
        (2, 28), (2, 28), (2, 31), (2, 36), (2, 36),
        (2, 41), (2, 41), (2, 41), (2, 41), (2, 41), (2, 41),
    ]  # fmt: skip
    assert rank("a-1-cp38-cp38-manylinux_2_36_x86_64.whl", "3.8") is not None
    assert rank("a-1-cp38-cp38-manylinux_2_39_x86_64.whl", "3.8") is None
    assert rank("a-1-cp37-cp37m-manylinux_2_39_x86_64.whl", "3.7") is None
    assert rank("a-1-cp39-cp39-manylinux_2_39_x86_64.whl", "3.9") is not None
    assert rank("a-1-cp36-cp36m-manylinux_2_31_x86_64.whl", "3.6") is not None
    assert rank("a-1-cp36-cp36m-manylinux_2_34_x86_64.whl", "3.6") is None
    assert rank("a-1-cp27-cp27mu-manylinux_2_28_x86_64.whl", "2.7") is not None
    assert rank("a-1-cp27-cp27mu-manylinux_2_31_x86_64.whl", "2.7") is None
    assert rank("a-1-cp35-cp35m-manylinux2014_x86_64.whl", "3.5") is not None
    # abi3 (stable ABI, Python 3 only): cp36-abi3 installs on 3.6 and every later minor.
    abi3 = "a-1-cp36-abi3-manylinux2014_x86_64.whl"
    assert [p for p in SUPPORTED_PYTHONS if rank(abi3, p) is not None] == list(
        SUPPORTED_PYTHONS[2:]
    )
    # The glibc can still be given (e.g. a pip comparison at one glibc).
    tags = target_tags(linux, "3.12", (2, 17))
    assert parse_wheel_filename("a-1-cp312-cp312-manylinux_2_28_x86_64.whl")[3].isdisjoint(tags)
