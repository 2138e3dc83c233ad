"""What ``generate`` says at the end and what it keeps between runs: the closing summary,
the exit code when an app gets no container, and host ports that stay put when apps are
added."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from depsplit.cli import main

pytestmark = pytest.mark.usefixtures("no_pip_config")


def web_app(root: Path, name: str, requirements: str = "flask==3.0.0\n") -> None:
    app = root / "services" / name
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text(requirements, encoding="utf-8")
    (app / "app.py").write_text(
        "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
        "@app.get('/')\ndef index():\n    return 'ok'\n",
        encoding="utf-8",
    )


def generate(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["generate", str(root), "-o", str(root / "deploy"), "--no-index-facts", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def host_ports(root: Path) -> dict[str, str]:
    """Service name → its published host port, read from the generated compose.yaml."""
    text = (root / "deploy" / "compose.yaml").read_text(encoding="utf-8")
    ports: dict[str, str] = {}
    service = None
    for line in text.splitlines():
        if m := re.match(r"^  ([a-z0-9-]+):$", line):
            service = m.group(1)
        if m := re.match(r'^      - "(\d+):\d+"$', line):
            assert service is not None
            ports[service] = m.group(1)
    return ports


def test_summary_names_the_images_and_says_every_app_has_a_container(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web_app(tmp_path, "shop")
    web_app(tmp_path, "admin", "flask==1.1.4\n")
    code, out, err = generate(tmp_path, capsys)
    assert code == 0, err
    assert out.splitlines()[-1].startswith("2 images (CPython ")
    assert out.splitlines()[-1].endswith(" for 2 apps; every app has a container")


def test_an_app_without_a_container_is_named_with_its_reason_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web_app(tmp_path, "shop")
    web_app(tmp_path, "ancient")
    (tmp_path / "services" / "ancient" / "pyproject.toml").write_text(
        '[project]\nname = "ancient"\nversion = "1"\nrequires-python = "==3.4.*"\n',
        encoding="utf-8",
    )
    code, out, err = generate(tmp_path, capsys)
    assert code == 1
    assert "1 image (CPython " in out
    assert "for 1 app; 1 app left out (no container: cannot be installed even alone):" in out
    assert (
        "  ancient: python: ancient allows ==3.4.* (services/ancient/pyproject.toml:4): "
        "no supported CPython (2.7, 3.5–3.14) satisfies it"
    ) in out.splitlines()
    assert "exit 1 (--fail-on unsatisfiable): an app has no container" in err
    # The files are written all the same; --fail-on never keeps 0.
    assert (tmp_path / "deploy" / "compose.yaml").is_file()
    code, out, _ = generate(tmp_path, capsys, "--fail-on", "never")
    assert code == 0
    assert "1 app left out" in out


def test_host_ports_stay_when_an_app_is_added(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web_app(tmp_path, "orders")
    web_app(tmp_path, "shop")
    code, _, err = generate(tmp_path, capsys)
    assert code == 0, err
    before = host_ports(tmp_path)
    assert before == {"orders": "8001", "shop": "8002"}
    plan = json.loads((tmp_path / "deploy" / "depsplit-plan.json").read_text(encoding="utf-8"))
    assert plan["generate"]["ports"] == {"orders": 8001, "shop": 8002}

    # "billing" sorts first: a fresh directory would give it 8001 and move the others.
    web_app(tmp_path, "billing")
    code, _, err = generate(tmp_path, capsys)
    assert code == 0, err
    after = host_ports(tmp_path)
    assert after == {"billing": "8003", "orders": "8001", "shop": "8002"}

    # A removed app frees its port for the next new one; the others stay.
    for f in (tmp_path / "services" / "orders").iterdir():
        f.unlink()
    (tmp_path / "services" / "orders").rmdir()
    web_app(tmp_path, "catalog")
    code, _, err = generate(tmp_path, capsys)
    assert code == 0, err
    assert host_ports(tmp_path) == {"billing": "8003", "catalog": "8001", "shop": "8002"}


def test_a_kept_dockerfile_the_plan_moved_under_is_reported_with_the_lines_to_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web_app(tmp_path, "alpha")
    web_app(tmp_path, "beta")
    web_app(tmp_path, "gamma", "flask==1.1.4\n")
    code, _, err = generate(tmp_path, capsys)
    assert code == 0, err
    plan = json.loads((tmp_path / "deploy" / "depsplit-plan.json").read_text(encoding="utf-8"))
    (group,) = [g["name"] for g in plan["groups"] if "alpha" in g["apps"]]
    dockerfile = tmp_path / "deploy" / group / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    assert 'COPY ["services/beta", "/app/services/beta"]' in text
    dockerfile.write_text(text.replace("USER ", "# tuned by hand\nUSER ", 1), encoding="utf-8")
    beta_line = 1 + dockerfile.read_text(encoding="utf-8").splitlines().index(
        'COPY ["services/beta", "/app/services/beta"]'
    )

    # beta moves to gamma's group: the kept Dockerfile would still COPY it, which the new
    # Dockerfile.dockerignore leaves out of the build context.
    (tmp_path / "services" / "beta" / "requirements.txt").write_text("flask==1.1.4\n")
    code, _, err = generate(tmp_path, capsys, "--check")
    assert code == 1
    expected = [
        f"{tmp_path / 'deploy' / group / 'Dockerfile'}: no longer matches the plan (stale):",
        f'  line {beta_line}: COPY ["services/beta", "/app/services/beta"]  '
        f"(app 'beta' (services/beta) is no longer in group '{group}': its new "
        "Dockerfile.dockerignore leaves it out of the build context; remove the line)",
    ]
    assert "\n".join(expected) in err
    code, _, err = generate(tmp_path, capsys)
    assert code == 0
    assert "\n".join(expected) in err
    assert "# tuned by hand" in dockerfile.read_text(encoding="utf-8")  # kept

    # And the other way: an app joins the group.
    web_app(tmp_path, "delta")
    code, _, err = generate(tmp_path, capsys)
    assert code == 0, err
    assert (
        f'  add: COPY ["services/delta", "/app/services/delta"]  (app \'delta\' '
        f"(services/delta) is now in group '{group}': add the line)"
    ) in err.splitlines()


def test_stale_lines_read_every_copy_form() -> None:
    from depsplit.emit.stale import stale_copies

    kept = "\n".join(
        [
            "ARG PYTHON_VERSION=3.11",
            "FROM python:${PYTHON_VERSION}-slim AS builder",
            "COPY --from=builder /wheels /wheels",
            "COPY --chown=10001 services/old /app/services/old",
            'COPY ["libs/common", \\',
            '      "/app/libs/common"]',
        ]
    )
    new = "\n".join(
        [
            "ARG PYTHON_VERSION=3.12",
            'COPY ["libs/common/base.txt", "/app/libs/common/base.txt"]',
            'COPY ["services/new", "/app/services/new"]',
        ]
    )
    found = stale_copies(kept, new, "g", {"services/old": "old", "services/new": "new"})
    assert [(s.line, s.instruction) for s in found] == [
        (1, "ARG PYTHON_VERSION=3.11"),
        (4, "COPY --chown=10001 services/old /app/services/old"),
        (5, 'COPY ["libs/common", "/app/libs/common"]'),
        (None, 'COPY ["services/new", "/app/services/new"]'),
    ]
    assert (
        found[0].why
        == "the group's CPython is now 3.12: change the line to ARG PYTHON_VERSION=3.12"
    )
    # libs/common/base.txt lies inside the kept libs/common: not missing. With an ignore
    # file you edited too, only what is missing is said.
    found = stale_copies(kept, new, "g", {}, ignore_kept=True)
    assert [s.line for s in found] == [1, None]
    # COPY of the whole context: the ignore file decides what it holds; never stale, and
    # it covers every new source.
    found = stale_copies(kept + "\nCOPY . /app", new, "g", {})
    assert [s.line for s in found] == [1, 4, 5]
    # A remote ADD is not in the build context: nothing to say about it.
    remote = "\nADD https://example.com/data.tar.gz /app/data/"
    assert stale_copies(kept + remote, new, "g", {}) == stale_copies(kept, new, "g", {})
