"""Every reader, on arbitrary and structured-but-wrong input: it returns a SourceResult and
never raises; each diagnostic names its file, a content error also its line, and no message
spans several lines; no secret from a URL survives into anything the reader returns."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from fuzz_strategies import confined, content_for, fuzz_settings, no_secret, nothing_outside
from hypothesis import given
from hypothesis import strategies as st

from depsplit.sources import lockfiles, pipfile, pyproject, pyversion, requirements_txt, setup_cfg
from depsplit.sources.base import ReadContext, SourceResult

Reader = Callable[[Path, ReadContext], SourceResult]
READERS: dict[str, Reader] = {
    "requirements.txt": requirements_txt.read,
    "pyproject.toml": pyproject.read,
    "Pipfile": pipfile.read,
    "setup.cfg": setup_cfg.read,
    "uv.lock": lockfiles.read,
    "poetry.lock": lockfiles.read,
    "Pipfile.lock": lockfiles.read,
    "pylock.toml": lockfiles.read,
    ".python-version": pyversion.read,
    "runtime.txt": pyversion.read,
}
FILE_LEVEL = ("binary file", "file is ", "cannot read", "file not found", "is a directory")
"""Messages about the whole file: no line to point at."""


def everything(result: SourceResult) -> str:
    """Every string a reader returns, for the secret check."""
    parts: list[str] = []
    for r in result.requirements:
        parts += [r.name, r.specifier, r.marker or "", r.url or "", r.origin.describe()]
    parts += [f"{o.option} {o.value} {o.origin}" for o in result.index_options]
    parts += [f"{p.specifier} {p.origin}" for p in result.python]
    parts += [str(d) for d in result.diagnostics]
    parts += result.files
    return "\n".join(parts)


def check_result(result: SourceResult, rel: str) -> None:
    assert isinstance(result, SourceResult)
    for d in result.diagnostics:
        assert d.file, d
        assert "\n" not in d.message, d
        assert "\r" not in d.message, d
        if d.level == "error" and not d.message.startswith(FILE_LEVEL):
            assert d.line is not None, d
            assert d.line >= 1, d
    no_secret(everything(result), where=f"in what the reader of {rel} returned")


def run_reader(
    name: str, content: str | bytes, extra: dict[str, str | bytes] | None = None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        app = root / "app"
        app.mkdir()
        for rel, data in {name: content, **(extra or {})}.items():
            path = app / rel
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8", errors="surrogatepass")
        before = snapshot(root)
        with confined(root / "world"):
            ctx = ReadContext(root=root)
            result = READERS[name](app / name, ctx)
        check_result(result, f"app/{name}")
        nothing_outside({**before, **snapshot_dirs(root / "world")}, snapshot(root), "nowhere")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every path below ``root`` with its content (b"<dir>" for a directory)."""
    return {
        p.relative_to(root).as_posix(): b"<dir>" if p.is_dir() else p.read_bytes()
        for p in root.rglob("*")
    }


def snapshot_dirs(world: Path) -> dict[str, bytes]:
    """The empty directories :func:`confined` makes."""
    out = {"world": b"<dir>"}
    for name in ("cwd", "home", "cache", "tmp"):
        out[f"world/{name}"] = b"<dir>"
    return out


@fuzz_settings(300)
@given(
    name=st.sampled_from(sorted(READERS)),
    data=st.data(),
)
def test_every_reader_survives_anything(name: str, data: st.DataObject) -> None:
    run_reader(name, data.draw(content_for(name)))


@fuzz_settings(150)
@given(
    top=content_for("requirements.txt"),
    base=content_for("base.txt"),
    constraints=content_for("base.txt"),
)
def test_requirements_includes_survive_anything(
    top: str | bytes, base: str | bytes, constraints: str | bytes
) -> None:
    run_reader("requirements.txt", top, {"base.txt": base, "constraints.txt": constraints})
