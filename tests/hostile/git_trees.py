"""Commits made straight from git objects, so a test can hold what ``git add`` never makes:
symlinks pointing anywhere, duplicate tree entries (``git mktree --missing`` accepts them and
clients do not fsck by default), a name that is both a file and a directory."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

FILE = "100644"
LINK = "120000"

Entry = tuple[str, str, bytes]
"""``(path from the top, FILE or LINK, content or link target)``."""


def git(repo: Path, *args: str, data: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], input=data, capture_output=True, check=True
    )
    return proc.stdout.decode().strip()


def init(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main", ".")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    git(repo, "config", "commit.gpgsign", "false")
    return repo


def tree(repo: Path, entries: Iterable[Entry]) -> str:
    """A tree object holding ``entries`` exactly (duplicates kept), subtrees made likewise."""
    here: list[str] = []
    below: dict[str, list[Entry]] = {}
    order: list[str] = []
    for path, mode, content in entries:
        name, sep, rest = path.partition("/")
        if sep:
            if name not in below:
                below[name] = []
                order.append(name)
            below[name].append((rest, mode, content))
            continue
        sha = git(repo, "hash-object", "-w", "--stdin", data=content)
        here.append(f"{mode} blob {sha}\t{name}")
    here += [f"040000 tree {tree(repo, below[name])}\t{name}" for name in order]
    return git(repo, "mktree", "--missing", data=("\n".join(here) + "\n").encode())


def commit(repo: Path, entries: Iterable[Entry], branch: str, message: str = "c") -> str:
    sha = git(repo, "commit-tree", tree(repo, entries), "-m", message)
    git(repo, "update-ref", f"refs/heads/{branch}", sha)
    return sha
