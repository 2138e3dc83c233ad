"""Each limit, when hit, gives a message that names the limit and how to raise it (or, for
a fixed one, what to do instead)."""

from __future__ import annotations

from pathlib import Path

from conftest import run

from depsplit.sources.requirements_txt import MAX_INCLUDE_DEPTH


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_file_size_limit_names_the_limit_and_the_setting(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", {"api/requirements.txt": "flask==2.3.0\n" * 100})
    (root / "depsplit.toml").write_text("max_file_size = 100\n", encoding="utf-8")
    code, out, _ = run(["analyze", str(root)])
    assert code == 2
    assert "file is 1,300 bytes, over the 100-byte limit" in out
    assert "raise max_file_size in [tool.depsplit]" in out
    (root / "depsplit.toml").write_text("max_file_size = 2000\n", encoding="utf-8")
    code, out, _ = run(["analyze", str(root)])
    assert code == 0, out


def test_include_depth_limit_names_the_limit(tmp_path: Path) -> None:
    depth = MAX_INCLUDE_DEPTH + 1
    files = {"api/requirements.txt": "-r r0.txt\n"}
    files |= {f"api/r{i}.txt": f"-r r{i + 1}.txt\n" for i in range(depth)}
    files[f"api/r{depth}.txt"] = "flask==2.3.0\n"
    root = write(tmp_path / "repo", files)
    code, out, _ = run(["analyze", str(root)])
    assert code == 2
    assert f"includes nested deeper than {MAX_INCLUDE_DEPTH} levels" in out
    assert "include-depth limit" in out


def test_time_limit_is_an_option(tmp_path: Path) -> None:
    files = {f"app{i}/requirements.txt": f"pkg{i % 3}=={i}\n" for i in range(12)}
    root = write(tmp_path / "repo", files)
    code, out, err = run(["analyze", str(root), "--time-limit", "0.5"])
    assert code == 0, err
    assert "groups" in out
