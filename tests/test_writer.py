"""The writer: atomic writes inside OUTDIR only, user edits kept without --force, --check."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depsplit.errors import OutputError
from depsplit.pieces import Pieces, Sink
from depsplit.writer import MANIFEST, sha256, text_pieces, write_file_atomic, write_tree

PLAN = json.dumps({"generated_by": "depsplit test"}) + "\n"


def files(extra: dict[str, str] | None = None) -> dict[str, str]:
    base = {"g/Dockerfile": "FROM python\n", "compose.yaml": "name: x\n", MANIFEST: PLAN}
    base.update(extra or {})
    return base


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_first_run_writes_everything_and_records_hashes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = write_tree(out, files())
    assert sorted(report.written) == sorted(files())
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["generated_by"] == "depsplit test"
    assert manifest["files"] == {
        "compose.yaml": sha256("name: x\n"),
        "g/Dockerfile": sha256("FROM python\n"),
    }
    assert not list(out.rglob("*.tmp"))


def test_second_run_is_byte_identical_and_check_is_clean(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, files())
    before = snapshot(out)
    report = write_tree(out, files())
    assert report.written == []
    assert not report.changed
    assert snapshot(out) == before
    check = write_tree(out, files(), check=True)
    assert not check.changed
    assert check.diff == ""


def test_check_writes_nothing_and_diffs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, files())
    before = snapshot(out)
    report = write_tree(out, files({"compose.yaml": "name: y\n"}), check=True)
    assert report.changed
    assert "-name: x\n+name: y\n" in report.diff
    assert "--- a/compose.yaml" in report.diff
    assert snapshot(out) == before
    fresh = write_tree(tmp_path / "new", files(), check=True)
    assert fresh.changed
    assert not (tmp_path / "new").exists()


def test_a_users_edit_survives_without_force_and_is_replaced_with_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, files())
    (out / "g" / "Dockerfile").write_text("FROM python\n# mine\n", encoding="utf-8")
    report = write_tree(out, files())
    assert report.skipped == ["g/Dockerfile"]
    assert report.conflicts == []
    assert (out / "g" / "Dockerfile").read_text(encoding="utf-8") == "FROM python\n# mine\n"
    assert not write_tree(out, files(), check=True).changed  # same base: not a change

    new = files({"g/Dockerfile": "FROM python:3.12\n"})
    report = write_tree(out, new)
    assert report.skipped == ["g/Dockerfile"]
    assert report.conflicts == ["g/Dockerfile"]
    assert (out / "g" / "Dockerfile").read_text(encoding="utf-8") == "FROM python\n# mine\n"
    assert write_tree(out, new, check=True).changed  # the base moved under the edit
    report = write_tree(out, new, force=True)
    assert "g/Dockerfile" in report.written
    assert (out / "g" / "Dockerfile").read_text(encoding="utf-8") == "FROM python:3.12\n"
    assert not write_tree(out, new, check=True).changed


def test_a_file_depsplit_never_wrote_is_the_users(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "g").mkdir(parents=True)
    (out / "g" / "Dockerfile").write_text("FROM mine\n", encoding="utf-8")
    report = write_tree(out, files())
    assert report.skipped == ["g/Dockerfile"]
    assert (out / "g" / "Dockerfile").read_text(encoding="utf-8") == "FROM mine\n"


def test_files_no_longer_generated_are_removed_unless_edited(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, files({"old/Dockerfile": "FROM a\n", "kept/Dockerfile": "FROM b\n"}))
    (out / "kept" / "Dockerfile").write_text("FROM b\n# mine\n", encoding="utf-8")
    assert write_tree(out, files(), check=True).removed == ["old/Dockerfile"]
    report = write_tree(out, files())
    assert report.removed == ["old/Dockerfile"]
    assert report.kept_stale == ["kept/Dockerfile"]
    assert not (out / "old").exists()
    assert (out / "kept" / "Dockerfile").is_file()


@pytest.mark.parametrize("bad", ["../escape", "/abs/path", "a/../../b", "a//b", "./a", "a\\b"])
def test_paths_that_leave_outdir_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(OutputError):
        write_tree(tmp_path / "out", {bad: "x\n"})
    assert not (tmp_path / "escape").exists()


def test_symlinked_outdir_or_subdir_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    link = tmp_path / "link"
    link.symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError, match="symlink"):
        write_tree(link, files())
    out = tmp_path / "out"
    out.mkdir()
    (out / "g").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError, match="symlink"):
        write_tree(out, files())
    assert list(outside.iterdir()) == []
    assert not (out / "compose.yaml").exists()  # refused before the first write


def test_a_failed_write_leaves_the_previous_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old\n", encoding="utf-8")

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OutputError, match="No space left"):
        write_file_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_read_only_outdir_gives_output_error_and_keeps_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_tree(out, files())
    before = snapshot(out)
    if os.geteuid() == 0:  # root writes anywhere: simulate what a read-only mount says
        real = os.access
        monkeypatch.setattr(
            os, "access", lambda p, mode: False if Path(p).is_relative_to(out) else real(p, mode)
        )
    else:
        for d in [out, out / "g"]:
            d.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="not writable"):
            write_tree(out, files({"compose.yaml": "name: changed\n"}))
    finally:
        for d in [out, out / "g"]:
            d.chmod(0o755)
    assert snapshot(out) == before


def test_a_read_only_group_directory_is_refused_before_a_file_is_written_as_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file made as it is written (a group's Dockerfile, rewritten) goes to its temporary
    name before the commit: a directory it cannot go into is refused first, with the
    message of a read-only directory at the commit, and the previous output kept."""
    import errno

    out = tmp_path / "out"
    write_tree(out, files())
    before = snapshot(out)
    group = out / "g"
    real_access, real_open = os.access, os.open

    def access(path: object, mode: int) -> bool:
        return False if Path(str(path)).is_relative_to(group) else real_access(path, mode)  # type: ignore[arg-type]

    def read_only(path: object, flags: int, *args: object) -> int:
        if flags & os.O_CREAT and Path(str(path)).is_relative_to(group):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)  # a read-only mount, for root too
    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(OutputError, match=r"cannot write into .*/g: .*/g is not writable"):
        write_tree(out, files({"g/Dockerfile": _cut("FROM python:3.13\n", 5)}))
    monkeypatch.undo()
    assert snapshot(out) == before


# -- the diff work is bounded -----------------------------------------------------------


def _plan(version: str, n: int = 40_000) -> str:
    """A plan file of a few megabytes, as ``render_all`` writes it (indent=2)."""
    conflicts = [
        {"id": f"version:boto3:{i:010d}", "apps": [f"app-{i}"], "specifier": f"=={version}.{i}"}
        for i in range(n)
    ]
    return json.dumps({"generated_by": "depsplit test", "conflicts": conflicts}, indent=2) + "\n"


def _apply(old: str, diff: str) -> str:
    """``old`` with the hunks of a one-file unified ``diff`` applied (checks every context
    and removed line)."""
    lines = old.splitlines(keepends=True)
    out: list[str] = []
    at = 0
    for line in diff.splitlines(keepends=True)[2:]:
        if line.startswith("@@"):
            first, _, length = line.split()[1][1:].partition(",")
            start = int(first) if length == "0" else int(first) - 1  # an empty range: after
            out += lines[at:start]
            at = start
        elif line[0] in " -":
            assert lines[at] == line[1:], (at, line)
            at += 1
            if line[0] == " ":
                out.append(line[1:])
        else:
            out.append(line[1:])
    return "".join(out + lines[at:])


def test_a_huge_changed_plan_file_is_not_diffed_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import difflib

    out = tmp_path / "out"
    old, new = _plan("1.26"), _plan("1.27")  # every pin changed
    write_tree(out, files({MANIFEST: old}))
    calls: list[object] = []
    real = difflib.unified_diff
    monkeypatch.setattr(difflib, "unified_diff", lambda *a, **k: calls.append(a) or real(*a, **k))

    report = write_tree(out, files({MANIFEST: new}))
    assert report.written == [MANIFEST]
    assert report.diff == ""
    assert calls == []  # compared, never diffed
    written = (out / MANIFEST).read_text(encoding="utf-8")
    assert json.loads(written)["conflicts"] == json.loads(new)["conflicts"]

    # --check asks for a diff: a changed part over the limit is one line, without difflib.
    report = write_tree(out, files({MANIFEST: old}), check=True)
    before = len(written.encode())
    after = before - new.count("1.27") + old.count("1.26")  # same lengths
    assert report.diff == (
        f"{MANIFEST}: file differs ({before:,} bytes → {after:,} bytes); not diffed: its "
        "changed part is over 64 KiB\n"
    )
    assert calls == []


def test_a_small_change_in_a_huge_file_is_diffed_with_its_line_numbers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old = _plan("1.26")
    write_tree(out, files({"big.json": old}))
    lines = old.splitlines(keepends=True)
    for where in (0, 7, len(lines) // 2, len(lines) - 2):
        changed = lines.copy()
        changed[where] = changed[where].replace('"', "'")
        changed.insert(where + 1, "  inserted\n")
        new = "".join(changed)
        diff = write_tree(out, files({"big.json": new}), check=True).diff
        diff = diff[: diff.index(f"--- a/{MANIFEST}")]  # its hashes changed too
        assert diff.startswith("--- a/big.json\n+++ b/big.json\n@@ -"), where
        assert diff.count("\n") < 20
        assert _apply(old, diff) == new


def test_the_plan_file_gets_its_hashes_as_json_would_write_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = _plan("1.26", n=3)
    write_tree(out, files({MANIFEST: plan}))
    data = json.loads(plan)
    data["files"] = {"compose.yaml": sha256("name: x\n"), "g/Dockerfile": sha256("FROM python\n")}
    assert (out / MANIFEST).read_text(encoding="utf-8") == json.dumps(data, indent=2) + "\n"


def test_files_are_written_with_the_user_s_umask(tmp_path: Path) -> None:
    """Generated files are the user's to read, edit and commit: 0o666 less the umask
    (0o644 under the usual 022), not owner-only."""
    import stat

    previous = os.umask(0o022)
    try:
        write_tree(tmp_path / "out", {"a/Dockerfile": "FROM x\n", "compose.yaml": "x: 1\n"})
        written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in written}
        os.umask(0o077)
        write_tree(tmp_path / "private", {"compose.yaml": "x: 1\n"})
        private = stat.S_IMODE((tmp_path / "private" / "compose.yaml").stat().st_mode)
    finally:
        os.umask(previous)
    assert modes["Dockerfile"] == 0o644
    assert modes["compose.yaml"] == 0o644
    assert private == 0o600


def test_a_signal_during_staging_stops_it_and_keeps_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM while hundreds of files are staged: the staging threads stop at the next
    file each (not after staging them all), and the previous output stays as it was."""
    import signal

    from depsplit import writer

    out = tmp_path / "out"
    many = {f"g{i:03}/Dockerfile": f"FROM python:{i}\n" for i in range(300)}
    write_tree(out, files(many))
    before = snapshot(out)
    staged = [0]
    real = writer._Transaction._stage

    def stage(self: writer._Transaction, entry: object) -> None:
        real(self, entry)  # type: ignore[arg-type]
        staged[0] += 1
        if staged[0] == 3:
            self.signals.received = signal.SIGTERM  # what the handler records

    monkeypatch.setattr(writer._Transaction, "_stage", stage)
    changed = files({name: text + "# v2\n" for name, text in many.items()})
    with pytest.raises(OutputError, match="interrupted by SIGTERM: nothing was changed"):
        write_tree(out, changed)
    assert staged[0] < 3 + writer.SYNC_WORKERS
    assert snapshot(out) == before


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=5), _json_values, min_size=1, max_size=5))
def test_the_manifest_is_the_plan_with_its_files_last(document: dict[str, object]) -> None:
    """The hashes are added to the plan's text as json.dumps would write the whole, for
    any document (nested objects and strings holding braces and line breaks too)."""
    from depsplit.writer import _manifest

    document.pop("files", None)
    hashes = {"b/Dockerfile": "2" * 64, "a/x.txt": "1" * 64}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    expected = {**document, "files": dict(sorted(hashes.items()))}
    assert _manifest(text, hashes) == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.text(max_size=5), _json_values, min_size=1, max_size=5),
    st.lists(st.integers(0, 400), max_size=6),
)
def test_a_plan_in_pieces_gets_the_same_manifest(
    document: dict[str, object], cuts: list[int]
) -> None:
    """The plan file as :class:`Pieces` (as the emitter makes it) gets the text the joined
    plan gets, wherever it is cut: across the closing brace or a ``"files"`` key too (a
    plan that has one goes through the json module, as a string does)."""
    from depsplit.pieces import Pieces
    from depsplit.writer import _manifest, _manifest_text

    hashes = {"b/Dockerfile": "2" * 64, "a/x.txt": "1" * 64}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    bounds = [0, *sorted(c for c in cuts if c <= len(text)), len(text)]
    pieces = Pieces.of(*(text[a:b] for a, b in itertools.pairwise(bounds)))
    assert _manifest_text(pieces, hashes) == _manifest(text, hashes)


def _cut(text: str, size: int) -> Pieces:
    from depsplit.pieces import Pieces

    return Pieces.of(*(text[i : i + size] for i in range(0, len(text), size)))


def test_a_plan_in_pieces_is_written_as_it_is_made_never_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written, rewritten unchanged and changed, a plan in pieces is never held whole (it
    is the one file of hundreds of megabytes): it is made once per run, each piece
    written as it comes, and the same bytes land on disk as from the joined plan."""
    from depsplit.pieces import Pieces

    plan = _plan("1.26", n=40)
    joined_out, pieces_out = tmp_path / "joined", tmp_path / "pieces"
    write_tree(joined_out, files({MANIFEST: plan}))

    def refuse(self: Pieces) -> str:
        raise AssertionError("the plan was held whole")

    monkeypatch.setattr(Pieces, "__str__", refuse)
    monkeypatch.setattr(Pieces, "__iter__", refuse)
    made = [0]
    each = Pieces.each

    def counted(self: Pieces, sink: Sink) -> None:
        made[0] += 1
        each(self, sink)

    monkeypatch.setattr(Pieces, "each", counted)
    first = write_tree(pieces_out, files({MANIFEST: _cut(plan, 97)}))
    assert MANIFEST in first.written
    assert snapshot(pieces_out) == snapshot(joined_out)
    assert made[0] == 2  # the plan, inside the plan with its "files": made once
    again = write_tree(pieces_out, files({MANIFEST: _cut(plan, 97)}))
    assert again.written == []
    assert MANIFEST in again.unchanged
    assert not [name for name in os.listdir(pieces_out) if name.startswith(".")]
    newer = plan.replace('"depsplit test"', '"depsplit test 2"', 1)
    third = write_tree(pieces_out, files({MANIFEST: _cut(newer, 89)}))
    assert third.written == [MANIFEST]
    written = json.loads((pieces_out / MANIFEST).read_text(encoding="utf-8"))
    assert written["generated_by"] == "depsplit test 2"
    assert sorted(written["files"]) == ["compose.yaml", "g/Dockerfile"]


def test_a_plan_failing_or_interrupted_while_written_leaves_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan is written to its temporary file before the commit: a plan that fails
    halfway (a bug) or SIGTERM between two of its pieces leaves the previous output
    byte-identical and no temporary file."""
    import signal

    from depsplit import writer
    from depsplit.pieces import Pieces

    out = tmp_path / "out"
    write_tree(out, files({MANIFEST: _plan("1.26", n=40)}))
    before = snapshot(out)
    newer = _plan("1.27", n=40)
    changed = {"g/Dockerfile": "FROM python:3.13\n"}

    def failing(sink: Sink) -> None:
        sink(newer[:500])
        raise RuntimeError("the plan could not be made")

    with pytest.raises(RuntimeError, match="could not be made"):
        write_tree(out, files({MANIFEST: Pieces(failing), **changed}))
    assert snapshot(out) == before

    entered: list[writer._Signals] = []
    real_enter = writer._Signals.__enter__

    def enter(self: writer._Signals) -> writer._Signals:
        entered.append(self)
        return real_enter(self)

    def interrupted(sink: Sink) -> None:
        sink(newer[:500])
        entered[-1].received = signal.SIGTERM  # what the handler records
        sink(newer[500:])

    monkeypatch.setattr(writer._Signals, "__enter__", enter)
    with pytest.raises(OutputError, match="interrupted by SIGTERM: nothing was changed"):
        write_tree(out, files({MANIFEST: Pieces(interrupted), **changed}))
    assert snapshot(out) == before
    assert not [name for name in os.listdir(out) if name.startswith(".depsplit-")]


def test_a_file_made_as_written_is_judged_as_its_text_is(tmp_path: Path) -> None:
    """A generated file in pieces (compose.yaml) is written to its temporary name as it is
    made and judged by its hash: the same reports and the same bytes as the same text given
    whole, through a first run, an unchanged run, a user's edit kept, a change that
    conflicts with it, and --force."""

    def runs(out: Path, make: object) -> list[object]:
        seen: list[object] = []
        steps = [
            ("name: a\n", False, None),
            ("name: a\n", False, None),
            ("name: a\n", False, "name: mine\n"),
            ("name: b\n", False, None),
            ("name: b\n", True, None),
        ]
        for text, force, edit in steps:
            if edit is not None:
                (out / "compose.yaml").write_text(edit, encoding="utf-8")
            made = make(text)  # type: ignore[operator]
            report = write_tree(out, files({"compose.yaml": made}), force=force)
            seen.append(
                (report.written, report.unchanged, report.skipped, report.conflicts, snapshot(out))
            )
        return seen

    whole = runs(tmp_path / "whole", lambda text: text)
    pieces = runs(tmp_path / "pieces", lambda text: _cut(text, 3))
    assert pieces == whole
    assert whole[3][2] == ["compose.yaml"]  # the edit kept, and reported as a conflict
    assert whole[3][3] == ["compose.yaml"]
    assert (tmp_path / "pieces" / "compose.yaml").read_text(encoding="utf-8") == "name: b\n"


def test_small_files_made_when_written_are_not_held_in_between(tmp_path: Path) -> None:
    """Tens of thousands of Dockerfiles (one per group) are made when written: in a new
    directory each is made to be hashed and again when staged, in an existing one once
    (written to its temporary name as it is made); the same bytes as the texts given whole."""
    made: dict[str, int] = {}

    def maker(name: str, text: str) -> Pieces:
        def make() -> str:
            made[name] = made.get(name, 0) + 1
            return text

        return Pieces.made_by(make)

    texts = {f"g{i}/Dockerfile": f"FROM python:3.{i}\n" for i in range(5)}
    write_tree(tmp_path / "whole", files(texts))
    write_tree(tmp_path / "made", files({k: maker(k, v) for k, v in texts.items()}))
    assert snapshot(tmp_path / "made") == snapshot(tmp_path / "whole")
    assert made == dict.fromkeys(texts, 2)
    made.clear()
    again = write_tree(tmp_path / "made", files({k: maker(k, v) for k, v in texts.items()}))
    assert sorted(again.unchanged) == sorted([*texts, "compose.yaml", "g/Dockerfile", MANIFEST])
    assert made == dict.fromkeys(texts, 1)


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda data: json.dumps(data), id="compact"),
        pytest.param(
            lambda data: json.dumps({"files": data["files"], **data}, indent=2) + "\n",
            id="files-first",
        ),
        pytest.param(lambda data: json.dumps(data, indent=2) + "\n", id="as-written"),
    ],
)
def test_the_recorded_hashes_are_read_from_any_valid_manifest(tmp_path: Path, edit: object) -> None:
    """The hashes are read from the ``"files"`` key alone when it ends the plan as written,
    and from the whole document otherwise (a manifest reformatted by hand): either way an
    unedited file is still depsplit's, and replaced."""
    out = tmp_path / "out"
    write_tree(out, files({MANIFEST: _plan("1.26", n=5)}))
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    (out / MANIFEST).write_text(edit(data), encoding="utf-8")  # type: ignore[operator]
    report = write_tree(out, files({"g/Dockerfile": "FROM python:3.12\n"}))
    assert "g/Dockerfile" in report.written
    assert report.skipped == []


def test_texts_are_hashed_and_written_a_slice_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text is encoded a few characters at a time (a megabyte in use): the same digest
    and the same bytes on disk, multi-byte characters across the cuts included."""
    import hashlib

    from depsplit import writer

    text = "requirements: ünïcødé — 🐍 naïve\n" * 7
    monkeypatch.setattr(writer, "_SLICE", 3)
    assert sha256(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    write_tree(tmp_path / "out", {"g/requirements.txt": text})
    assert (tmp_path / "out" / "g" / "requirements.txt").read_bytes() == text.encode("utf-8")


def test_a_report_file_is_written_a_slice_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-o FILE`` (write_file_atomic) encodes a few characters at a time, never the whole
    report: the same bytes, multi-byte characters across the cuts included, no newline
    translated, nothing left beside the file."""
    from depsplit import writer

    text = '{"app": "ünïcødé — 🐍",\r\n "x": 1}\n' * 5
    monkeypatch.setattr(writer, "_SLICE", 3)
    target = tmp_path / "report.json"
    write_file_atomic(target, text)
    assert target.read_bytes() == text.encode("utf-8")
    assert os.listdir(tmp_path) == ["report.json"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="ab\n\x1b[1mé🐍\ud800", max_size=12), max_size=8),
    st.integers(1, 8),
    st.integers(0, 20),
)
def test_a_report_in_pieces_is_buffered_whole_then_handed_out_in_slices(
    parts: list[str], size: int, memory: int
) -> None:
    """Standard output gets a report in pieces once it is complete, buffered in a
    temporary file past a few bytes: the same characters (a lone surrogate too), in slices
    cut after a newline when they hold one."""
    from unittest import mock

    from depsplit import writer

    with (
        mock.patch.object(writer, "_SLICE", size),
        mock.patch.object(writer, "_SPOOL_MEMORY", memory),
    ):
        out = list(writer.buffered_pieces(iter(parts)))
    assert "".join(out) == "".join(parts)
    assert all(out)
    for piece in out[:-1]:
        assert piece.endswith("\n") or "\n" not in piece


def test_a_report_failing_halfway_hands_out_nothing() -> None:
    from depsplit import writer

    def report() -> Iterator[str]:
        yield "first line\n"
        raise RuntimeError("the report could not be made")

    pieces = writer.buffered_pieces(report())
    with pytest.raises(RuntimeError, match="could not be made"):
        next(pieces)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\n\x1b[1mé🐍", max_size=60), st.integers(1, 8))
def test_text_pieces_cut_after_a_newline_when_they_can(text: str, size: int) -> None:
    """The pieces written to standard output: the whole text in order, none longer than
    the slice, and each piece whose slice held a newline ends with one (so an escape
    sequence, which never spans lines, is cut only inside a line longer than a slice)."""
    from depsplit import writer

    original = writer._SLICE
    writer._SLICE = size
    try:
        pieces = list(text_pieces(text))
    finally:
        writer._SLICE = original
    assert "".join(pieces) == text
    assert all(0 < len(p) <= size for p in pieces)
    start = 0
    for piece in pieces[:-1]:
        if "\n" in text[start : start + size]:
            assert piece.endswith("\n")
            assert "\n" not in text[start + len(piece) : start + size]
        start += len(piece)


def test_a_report_on_standard_output_is_written_in_pieces(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report to stdout: in pieces cut after a newline (the slice is 16 characters
    here), all of it, colour sequences whole."""
    from depsplit import cli, writer

    written: list[str] = []
    echo = cli.click.echo

    def recording(message: str, **kwargs: object) -> None:
        written.append(message)
        echo(message, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer, "_SLICE", 16)
    monkeypatch.setattr(cli.click, "echo", recording)
    text = "\x1b[1mbold\x1b[0m\nline two\nthree\n"
    cli._emit(text, "-")
    assert capsys.readouterr().out == text
    assert written == ["\x1b[1mbold\x1b[0m\n", "line two\nthree\n"]
