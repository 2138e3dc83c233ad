"""Run :func:`depsplit.writer.write_tree` and signal itself after the k-th change of the
file system (a rename, link, unlink, mkdir or rmdir): the hostile and fuzz tests of an
interrupted commit run it in a subprocess.

Usage: ``python interrupt_child.py K SIGNUM OUTDIR FILES.json`` (``K`` 0: never; prints the
number of changes made). Exit 2 on an ``OutputError`` (its message on stderr), 130 on
``KeyboardInterrupt``.

``python interrupt_child.py K SIGNUM --cli ARGS…`` runs ``depsplit ARGS…`` instead (the
whole command, its exit code; the changes counted from its start).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def main() -> int:
    kill_after, signum = int(sys.argv[1]), int(sys.argv[2])
    cli = sys.argv[3] == "--cli"
    if cli:
        from depsplit.cli import main as depsplit
    count = [0]

    def counted(real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = real(*args, **kwargs)
            count[0] += 1
            if count[0] == kill_after:
                os.kill(os.getpid(), signum)
            return result

        return wrapper

    for name in ("replace", "rename", "link", "unlink", "mkdir", "rmdir"):
        setattr(os, name, counted(getattr(os, name)))

    if cli:
        return depsplit(sys.argv[4:])
    outdir, files = Path(sys.argv[3]), Path(sys.argv[4])
    from depsplit.errors import OutputError
    from depsplit.writer import write_tree

    try:
        write_tree(outdir, json.loads(files.read_text(encoding="utf-8")))
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(count[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
