"""Run inside a group image: import every top-level module of the named distributions.

Usage: ``python import_check.py DIST [DIST...]``; prints one JSON object on the last line:
``{"dist": {"modules": [...], "errors": {"module": "first error line"}, "missing": bool}}``.

A distribution's import names come from its installed metadata: ``top_level.txt`` where it
has one, else the first path component of each file in ``RECORD`` (``installed-files.txt``
for eggs), keeping packages and modules (``.py``, extension modules) and dropping
``*.dist-info``, ``*.data``, ``__pycache__``, scripts outside site-packages and private
``_``-names when public ones exist. Written for every Python the images hold (2.7 included):
no f-strings, no ``importlib.metadata``.
"""

import json
import os
import re
import sys
import traceback


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def metadata_dirs():
    """{normalized dist name: its .dist-info/.egg-info dir}, first on sys.path wins."""
    found = {}
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        for name in sorted(os.listdir(entry)):
            for suffix in (".dist-info", ".egg-info"):
                if name.endswith(suffix):
                    dist = name[: -len(suffix)]
                    # name-version(.dist-info) or name-version-pyX.Y(.egg-info)
                    dist = re.split(r"-\d", dist, maxsplit=1)[0]
                    found.setdefault(normalize(dist), os.path.join(entry, name))
    return found


def read_lines(path):
    try:
        with open(path) as fh:
            return [line.strip() for line in fh if line.strip()]
    except Exception:  # IOError on Python 2
        return []


def top_level(meta):
    names = read_lines(os.path.join(meta, "top_level.txt"))
    if names:
        return sorted({n for n in names if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", n)})
    records = read_lines(os.path.join(meta, "RECORD")) or read_lines(
        os.path.join(meta, "installed-files.txt")
    )
    mods = set()
    for rec in records:
        path = rec.split(",")[0]
        if path.startswith("..") or path.startswith("/"):
            continue
        first = path.split("/")[0]
        if first.endswith((".dist-info", ".data", ".egg-info", ".pth")) or first == "__pycache__":
            continue
        if "/" in path:
            mods.add(first)
        elif first.endswith(".py"):
            mods.add(first[:-3])
        elif first.endswith((".so", ".pyd")):
            mods.add(first.split(".")[0])
    return sorted(m for m in mods if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", m))


def try_import(mod):
    """None, or the last line of the traceback (SystemExit from a module counts too)."""
    try:
        __import__(mod)
    except BaseException:
        lines = traceback.format_exc().strip().splitlines()
        return lines[-1] if lines else "error"
    return None


def main(dists):
    metas = metadata_dirs()
    result = {}
    for dist in dists:
        meta = metas.get(normalize(dist))
        entry = {"modules": [], "errors": {}, "missing": meta is None}
        result[dist] = entry
        if meta is None:
            continue
        mods = top_level(meta)
        public = [m for m in mods if not m.startswith("_")]
        entry["modules"] = public or mods
        for mod in entry["modules"]:
            error = try_import(mod)
            if error is not None:
                entry["errors"][mod] = error
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
