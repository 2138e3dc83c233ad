"""A monorepo whose generated ``.dockerignore`` must escape every path and drop every
credential file (issue 16.3, 16.4); shared by the hostile test and the engine test
(``tests/e2e/test_e2e_dockerignore.py``), which builds the context with a real BuildKit."""

from __future__ import annotations

from pathlib import Path

SECRET = "s3cr3t-in-context"
"""In every file that must never reach a build context."""

FLASK = "flask==2.3.0\n"

FILES: dict[str, str] = {
    # An app directory starting with "#": its credential file would be a comment line.
    "#hash/requirements.txt": f"--index-url https://u:{SECRET}@h.example/simple\n{FLASK}",
    "#hash/app.py": "print('hash')\n",
    # Starting with "!": its credential file would be a re-include line.
    "!bang/requirements.txt": f"--extra-index-url https://h.example/simple?token={SECRET}\n"
    + FLASK,
    "!bang/app.py": "print('bang')\n",
    # Credential files, whatever their text.
    "!bang/.netrc": f"machine h.example login u password {SECRET}\n",
    "!bang/_netrc": f"machine h.example login u password {SECRET}\n",
    "!bang/.pypirc": f"[pypi]\npassword = {SECRET}\n",
    "!bang/pip.conf": f"[global]\nindex-url = https://u:{SECRET}@h.example/simple\n",
    "!bang/.pip/pip.conf": f"[global]\nindex-url = https://u:{SECRET}@h.example/simple\n",
    "!bang/poetry.toml": f'[http-basic.h]\npassword = "{SECRET}"\n',
    "!bang/auth.toml": f'[http-basic.h]\npassword = "{SECRET}"\n',
    "!bang/.env": f"TOKEN={SECRET}\n",
    "!bang/.env.production": f"TOKEN={SECRET}\n",
    "!bang/.env.example": "TOKEN=changeme\n",
    "api/requirements.txt": FLASK,
    "api/app.py": "print('api')\n",
    "api/pip.ini": f"[global]\nindex-url = https://u:{SECRET}@h.example/simple\n",
    "api/deep/er/.netrc": f"machine h login u password {SECRET}\n",
    # Dependency files holding credentials, named with wildcards and an escape.
    "api/requirements [x].txt": f"--index-url https://u:{SECRET}@h.example/simple\n",
    "api/requirements*.txt": f"--index-url https://u:{SECRET}@h.example/simple\n",
    "api/requirements?.in": f"--index-url https://u:{SECRET}@h.example/simple\n",
    "api/requirements\\x.txt": f"--index-url https://u:{SECRET}@h.example/simple\n",
    # "^" reaches Go's regular expression unescaped: an anchor, unless escaped.
    "#hash/requirements^x.txt": f"--index-url https://u:{SECRET}@h.example/simple\n",
    # What those patterns would match if they were patterns: must stay in the context.
    "api/requirements x.txt": FLASK,
    "api/requirements-dev.txt": FLASK,
}

IN_CONTEXT = {
    "#hash/app.py",
    "!bang/app.py",
    "!bang/.env.example",
    "api/requirements.txt",
    "api/app.py",
    "api/requirements x.txt",
    "api/requirements-dev.txt",
}
"""The files of the tree the group's build context holds (besides its generated
``requirements.txt``)."""


def write(root: Path) -> Path:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
