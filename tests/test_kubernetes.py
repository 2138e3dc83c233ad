"""``depsplit generate --kubernetes``: the manifests render with the real kustomize
(``kubectl kustomize``), every rendered object validates in strict mode against a current
Kubernetes release's schemas (``kubernetes-validate --strict``), they match ``compose.yaml``
one to one, and ``stack.yaml`` is what ``docker stack deploy`` reads (``docker stack
config``, which needs no daemon).

The demo's golden tree is ``tests/cases/kubernetes/monorepo/expected`` (refresh with
``DEPSPLIT_UPDATE_GOLDENS=1``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # PyYAML: a dependency of kubernetes-validate
from test_generate import (
    FIXTURE,
    FIXTURE_GROUPS,
    OUT,
    compose,
    planted_groups,
    tree_text,
    with_groups,
)

from depsplit.analyze import analyze
from depsplit.cli import main
from depsplit.emit import PLAN_FILE, GenerateOptions, render_all
from depsplit.emit.build import KubernetesOptions, Resources
from depsplit.emit.dockerfile import UID
from depsplit.emit.kubernetes import MAX_NAME, dns_names
from depsplit.model import Plan
from depsplit.writer import write_tree

GOLDEN = Path(__file__).parent / "cases" / "kubernetes" / "monorepo" / "expected"
UPDATE = os.environ.get("DEPSPLIT_UPDATE_GOLDENS") == "1"
K8S_VERSION = "1.37.0"
DNS_1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")

DEMO_OPTIONS = KubernetesOptions(
    namespace="shop",
    autoscale={"catalog": (2, 6)},
    ingress_hosts={"shop-api": "shop.example.com"},
    schedules={"nightly-report": "0 3 * * *"},
)


# -- the real tools ---------------------------------------------------------------------


def kubectl_bin() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip("kubectl is not installed (Debian: apt-get install kubernetes-client)")
    return found


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize DIR``: the rendered objects (a failure fails the test)."""
    result = subprocess.run(
        [kubectl_bin(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def validate_strict(objects: list[dict[str, Any]], tmp: Path) -> None:
    """``kubernetes-validate --strict`` on every object: unknown fields are errors."""
    rendered = tmp / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all(objects), encoding="utf-8")
    tool = Path(sys.executable).with_name("kubernetes-validate")
    result = subprocess.run(
        [str(tool), "--strict", "-k", K8S_VERSION, str(rendered)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    passed = [line for line in result.stdout.splitlines() if line.startswith("INFO")]
    assert len(passed) == len(objects), result.stdout


def stack_config(outdir: Path) -> dict[str, Any]:
    """What ``docker stack deploy`` reads from ``stack.yaml`` (docker/cli's own loader and
    schema, no daemon needed)."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("the docker CLI is not installed (docker stack config checks stack.yaml)")
    result = subprocess.run(
        [docker, "stack", "config", "-c", "stack.yaml"],
        capture_output=True,
        text=True,
        check=False,
        cwd=outdir,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(outdir)},
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = yaml.safe_load(result.stdout)
    return loaded


# -- generating -------------------------------------------------------------------------


def generate(root: Path, plan: Plan, **options: Any) -> Path:
    outdir = root / OUT
    write_tree(outdir, render_all(plan, root, GenerateOptions(outdir=OUT, **options)))
    return outdir


def demo(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "monorepo"
    shutil.copytree(FIXTURE, root)
    plan = with_groups(analyze(root), FIXTURE_GROUPS)
    outdir = generate(root, plan, replicas={"shop-api": 3, "emailer": 2}, kubernetes=DEMO_OPTIONS)
    return root, outdir


def by_kind(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


# -- the cross-check --------------------------------------------------------------------


def pod_of(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod: dict[str, Any] = spec["template"]["spec"]
    return pod


def seconds(value: str) -> int:
    assert value.endswith("s")
    return int(value[:-1])


def cross_check(outdir: Path, objects: list[dict[str, Any]]) -> dict[str, str]:
    """Every app's workload against its compose service: image, command, working
    directory, replicas, probes, resources and security. Returns ``{app: kind}``."""
    plan = json.loads((outdir / PLAN_FILE).read_text(encoding="utf-8"))
    names: dict[str, str] = plan["generate"]["kubernetes"]["names"]
    autoscale = plan["generate"]["kubernetes"]["autoscale"]
    # --profile todo: the services of apps without a command too.
    config = compose(outdir, "--profile", "todo", "config", "--format", "json")
    services = json.loads(config.stdout)["services"]
    stack = stack_config(outdir)["services"]
    workloads = {
        o["metadata"]["annotations"]["depsplit.io/app"]: o
        for o in objects
        if o["kind"] in ("Deployment", "Job", "CronJob")
    }
    assert sorted(workloads) == sorted(names) == sorted(s for s in services if s in names)
    kinds = {}
    for app, obj in workloads.items():
        service = services[app]
        assert obj["metadata"]["name"] == names[app]
        pod = pod_of(obj)
        [container] = pod["containers"]
        assert container["image"] == service["image"] == stack[app]["image"]
        todo = "todo" in service.get("profiles", [])
        command = service["command"]
        if todo:  # its message says which file to edit
            command = [w.replace("compose.yaml", f"kubernetes/{names[app]}.yaml") for w in command]
        assert container["command"] == command
        assert container["workingDir"] == service["working_dir"]
        compose_replicas = service.get("deploy", {}).get("replicas") or 1
        assert stack[app]["deploy"]["replicas"] == (0 if todo else compose_replicas)
        if obj["kind"] == "Deployment":
            if app in autoscale:
                assert "replicas" not in obj["spec"]
                hpa = by_kind(objects)[("HorizontalPodAutoscaler", names[app])]
                assert [hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]] == autoscale[app]
            else:
                assert obj["spec"]["replicas"] == (0 if todo else compose_replicas)
        else:
            assert obj["spec"].get("suspend", False) == todo
            assert stack[app]["deploy"]["mode"] == "replicated-job"
        health = service.get("healthcheck")
        if health is None:
            assert "livenessProbe" not in container
            assert (obj["kind"] == "Deployment") == (
                stack[app]["deploy"]["restart_policy"]["condition"] == "any"
            )
        else:
            url = re.search(r"http://127\.0\.0\.1:(\d+)(/[^']*)'", health["test"][-1])
            assert url is not None
            port = {p["name"]: p["containerPort"] for p in container["ports"]}["http"]
            assert port == int(url.group(1))
            live, ready = container["livenessProbe"], container["readinessProbe"]
            assert live["httpGet"]["path"] == ready["httpGet"]["path"] == url.group(2)
            assert live["periodSeconds"] == seconds(health["interval"])
            assert live["timeoutSeconds"] == seconds(health["timeout"])
            assert live["failureThreshold"] == health["retries"]
            assert live["initialDelaySeconds"] == seconds(health["start_period"])
            svc = by_kind(objects)[("Service", names[app])]
            assert svc["spec"]["selector"].items() <= pod_labels(obj).items()
        limits = service["deploy"]["resources"]["limits"]
        reservations = service["deploy"]["resources"]["reservations"]
        assert cpus(container["resources"]["limits"]["cpu"]) == float(limits["cpus"])
        assert cpus(container["resources"]["requests"]["cpu"]) == float(reservations["cpus"])
        assert mebibytes(container["resources"]["limits"]["memory"]) == int(limits["memory"])
        assert mebibytes(container["resources"]["requests"]["memory"]) == int(
            reservations["memory"]
        )
        # The image's USER, which compose runs as: nothing in compose.yaml overrides it.
        assert "user" not in service
        assert pod["securityContext"]["runAsUser"] == container["securityContext"]["runAsUser"]
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
        }
        assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
        assert pod["volumes"] == [{"name": "tmp", "emptyDir": {}}]
        assert (
            obj["metadata"]["labels"]["depsplit.io/group"]
            in plan["generate"]["kubernetes"]["group_labels"].values()
        )
        kinds[app] = obj["kind"]
    return kinds


def pod_labels(obj: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = obj["spec"]["template"]["metadata"]["labels"]
    return labels


def cpus(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def mebibytes(quantity: str) -> int:
    units = {"Ki": 1, "Mi": 2, "Gi": 3}
    return int(quantity[:-2]) * 1024 ** units[quantity[-2:]]


# -- tests ------------------------------------------------------------------------------


def test_demo_golden(tmp_path: Path) -> None:
    _, outdir = demo(tmp_path)
    got = {
        rel: text
        for rel, text in tree_text(outdir).items()
        if rel.startswith("kubernetes/") or rel in ("compose.yaml", "stack.yaml")
    }
    if UPDATE:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, text in got.items():
            path = GOLDEN / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    assert got == tree_text(GOLDEN)


def test_demo_renders_validates_and_matches_compose(tmp_path: Path) -> None:
    _, outdir = demo(tmp_path)
    objects = kustomize(outdir / "kubernetes")
    validate_strict(objects, tmp_path)
    assert all(
        o["metadata"].get("namespace") == "shop" for o in objects if o["kind"] != "Namespace"
    )
    kinds = cross_check(outdir, objects)
    assert kinds == {
        "blog": "Deployment",
        "catalog": "Deployment",
        "cleanup-sessions": "Job",
        "emailer": "Deployment",
        "indexer": "Deployment",
        "inference": "Deployment",
        "legacy-admin": "Deployment",
        "nightly-report": "CronJob",
        "notifier": "Deployment",
        "shop-api": "Deployment",
    }
    objs = by_kind(objects)
    services = sorted(name for kind, name in objs if kind == "Service")
    assert services == ["blog", "catalog", "inference", "legacy-admin", "shop-api"]
    assert objs[("CronJob", "nightly-report")]["spec"]["schedule"] == "0 3 * * *"
    ingress = objs[("Ingress", "shop-api")]["spec"]["rules"][0]
    assert ingress["host"] == "shop.example.com"
    # .env.example: plain settings in a ConfigMap, secrets only as references, no values.
    config = objs[("ConfigMap", "shop-api-env")]["data"]
    assert config == {"LOG_LEVEL": "info", "SHOP_CURRENCY": "EUR"}
    [container] = pod_of(objs[("Deployment", "shop-api")])["containers"]
    assert container["envFrom"] == [{"configMapRef": {"name": "shop-api-env"}}]
    assert {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]} == {
        "DATABASE_URL": {"name": "shop-api-secrets", "key": "DATABASE_URL"},
        "STRIPE_API_KEY": {"name": "shop-api-secrets", "key": "STRIPE_API_KEY"},
    }
    everything = "".join(tree_text(outdir).values())
    assert "change-me" not in everything
    assert "sk_test_placeholder" not in everything
    manifest = (outdir / "kubernetes" / "shop-api.yaml").read_text(encoding="utf-8")
    assert "kubectl create secret generic shop-api-secrets -n shop" in manifest


def test_forty_generated_apps(tmp_path: Path) -> None:
    from gen import generate_monorepo

    root = tmp_path / "mono"
    repo = generate_monorepo(root, 40, seed=11, k_groups=4)
    # A third serve HTTP, a third run a process (a worker or a job by their directory), the
    # rest have no entry point.
    for i, path in enumerate(sorted(repo.assignment)):
        process = ("web: gunicorn app:app --bind 0.0.0.0:$PORT", "run: python -m tool", "")[i % 3]
        if process:
            (root / path / "Procfile").write_text(process + "\n", encoding="utf-8")
    plan = analyze(root)
    plan = planted_groups(plan, repo.assignment)
    first = sorted(a.name for a in plan.apps)[0]
    outdir = generate(
        root,
        plan,
        replicas={first: 2},
        registry="registry.example.com",
        tag="v1",
        resources=Resources("250m", "1", "256Mi", "1Gi"),
        kubernetes=KubernetesOptions(namespace="mono"),
    )
    objects = kustomize(outdir / "kubernetes")
    validate_strict(objects, tmp_path)
    kinds = cross_check(outdir, objects)
    assert len(kinds) == 40
    assert set(kinds.values()) == {"Deployment", "Job"}
    services = [o for o in objects if o["kind"] == "Service"]
    assert len(services) == 14  # the web apps: every third of 40


HOSTILE_NAMES = [
    "api",
    "a_b",
    "a-b",
    "0day",
    "x" * 70,
    "x" * 71,
    "-",
    "café",
    "my.app.v2",
    "Caps",
    "job_",
]


def test_dns_names_are_valid_and_distinct() -> None:
    mapping = dns_names(HOSTILE_NAMES)
    assert set(mapping) == set(HOSTILE_NAMES)
    assert len(set(mapping.values())) == len(HOSTILE_NAMES)
    for label in mapping.values():
        assert DNS_1035.fullmatch(label), label
        assert len(label) <= MAX_NAME
    assert mapping["api"] == "api"
    assert mapping["a-b"] == "a-b"  # a valid name is kept; the other one is suffixed
    assert mapping["a_b"].startswith("a-b-")
    assert mapping["0day"].startswith("x-0day-")


def test_hostile_directory_names_get_valid_kubernetes_names(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    dirs = ["My.App", "my_app", "9lives", "ünïcödé", "n" * 80, "svc_" + "y" * 60]
    for name in dirs:
        app = root / "services" / name
        app.mkdir(parents=True)
        (app / "requirements.txt").write_text("flask>=3\n", encoding="utf-8")
        (app / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    plan = analyze(root)
    plan = with_groups(
        plan, [{"name": "all", "apps": [a.name for a in plan.apps], "python": "3.12"}]
    )
    outdir = generate(root, plan, kubernetes=KubernetesOptions())
    recorded = json.loads((outdir / PLAN_FILE).read_text(encoding="utf-8"))
    names = recorded["generate"]["kubernetes"]["names"]
    assert sorted(names) == sorted(a.name for a in plan.apps)
    assert len(set(names.values())) == len(dirs)
    objects = kustomize(outdir / "kubernetes")
    validate_strict(objects, tmp_path)
    assert {o["metadata"]["name"] for o in objects if o["kind"] == "Service"} == set(names.values())
    cross_check(outdir, objects)


def test_without_kubernetes_nothing_changes(tmp_path: Path) -> None:
    root = tmp_path / "monorepo"
    shutil.copytree(FIXTURE, root)
    plan = with_groups(analyze(root), FIXTURE_GROUPS)
    files = render_all(plan, root, GenerateOptions(outdir=OUT))
    assert not [p for p in files if p.startswith("kubernetes/") or p == "stack.yaml"]
    assert "resources:" not in str(files["compose.yaml"])
    assert '"kubernetes"' not in str(files[PLAN_FILE])


@pytest.fixture
def cli_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    from depsplit import cli as cli_module

    real = cli_module._analyze
    monkeypatch.setattr(
        cli_module, "_analyze", lambda **kw: with_groups(real(**kw), FIXTURE_GROUPS)
    )


@pytest.mark.usefixtures("cli_groups")
def test_cli_config_check_and_a_users_edit(tmp_path: Path) -> None:
    root = tmp_path / "monorepo"
    shutil.copytree(FIXTURE, root)
    (root / "depsplit.toml").write_text(
        'kubernetes = true\nkubernetes_namespace = "demo"\n'
        'schedules = {nightly-report = "@daily"}\nworkloads = {notifier = "job"}\n',
        encoding="utf-8",
    )
    outdir = root / OUT
    args = ["generate", str(root), "-o", str(outdir)]
    assert main(args) == 0
    kustomization = (outdir / "kubernetes" / "kustomization.yaml").read_text(encoding="utf-8")
    assert 'namespace: "demo"' in kustomization
    objects = by_kind(kustomize(outdir / "kubernetes"))
    assert objects[("CronJob", "nightly-report")]["spec"]["schedule"] == "@daily"
    assert ("Job", "notifier") in objects
    assert main([*args, "--check"]) == 0

    manifest = outdir / "kubernetes" / "blog.yaml"
    edited = manifest.read_text(encoding="utf-8").replace("replicas: 1", "replicas: 4")
    manifest.write_text(edited, encoding="utf-8")
    assert main(args) == 0
    assert manifest.read_text(encoding="utf-8") == edited  # kept without --force
    assert main([*args, "--check"]) == 0  # the edit sits on an unchanged base
    assert main([*args, "--check", "--cpu", "200m"]) == 1
    assert main([*args, "--force"]) == 0
    assert "replicas: 1" in manifest.read_text(encoding="utf-8")


@pytest.mark.usefixtures("cli_groups")
@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(["--autoscale", "blog=2:4"], id="autoscale-without-kubernetes"),
        pytest.param(["--kubernetes", "--autoscale", "emailer=3:2"], id="min-over-max"),
        pytest.param(["--kubernetes", "--autoscale", "nope=1:2"], id="unknown-app"),
        pytest.param(["--kubernetes", "--ingress-host", "emailer=a.example"], id="worker-ingress"),
        pytest.param(["--kubernetes", "--ingress-host", "blog=Bad_Host"], id="bad-host"),
        pytest.param(["--kubernetes", "--kubernetes-namespace", "Shop"], id="bad-namespace"),
        pytest.param(["--cpu", "lots"], id="bad-cpu"),
        pytest.param(["--memory", "512MB"], id="bad-memory"),
    ],
)
def test_cli_refuses_bad_kubernetes_options(tmp_path: Path, extra: list[str]) -> None:
    root = tmp_path / "monorepo"
    shutil.copytree(FIXTURE, root)
    assert main(["generate", str(root), "-o", str(root / OUT), *extra]) == 2
    assert not (root / OUT).exists()
