"""Emitters: the plan → the files of ``depsplit generate`` (pure: nothing here writes).

:func:`render_all` returns ``{relative POSIX path in OUTDIR: text}``, in sorted order:

- ``<group>/Dockerfile``, ``<group>/Dockerfile.dockerignore``, ``<group>/requirements.txt``;
- ``compose.yaml``, and ``lb/<app>.nginx.conf`` for each load-balanced app;
- with deploy settings (``options.deploy_resources``), ``stack.yaml``: the same services as
  a Swarm stack;
- with ``options.kubernetes``, ``kubernetes/``: a ``kustomization.yaml`` and one manifest
  file per app (:mod:`depsplit.emit.kubernetes`);
- ``depsplit-plan.json``: the plan it was made from (the JSON report) and the options; the
  writer adds the hashes of the files it wrote (``"files"``).

The build context of every image is the analysed root, so OUTDIR must be inside it
(:func:`layout` refuses anything else): the Dockerfiles copy app directories and their
generated ``requirements.txt`` from there.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from depsplit import __version__
from depsplit.emit import compose, dockerfile, dockerignore, kubernetes, lock
from depsplit.emit.build import GenerateOptions, Generation, prepare
from depsplit.emit.entrypoints import EntryPoint, detect
from depsplit.emit.text import header, unsafe_path_reason
from depsplit.errors import UsageError
from depsplit.model import Plan

PLAN_FILE = "depsplit-plan.json"

__all__ = [
    "PLAN_FILE",
    "EntryPoint",
    "GenerateOptions",
    "Generation",
    "check_outdir_apart",
    "detect",
    "layout",
    "plan_document",
    "render_all",
]


def layout(root: Path, outdir: Path) -> tuple[str, str]:
    """``(context, outdir)``: the analysed root relative to OUTDIR and OUTDIR relative to the
    root, both POSIX. :class:`UsageError` when OUTDIR is not strictly inside the root."""
    root_abs = Path(os.path.realpath(root))
    out_abs = Path(os.path.realpath(outdir))
    if Path(outdir).is_symlink():
        raise UsageError(
            f"refusing to write into the output directory {str(outdir)!r}: it is a symlink "
            f"(to {str(out_abs)!r}); give the real directory, inside {str(root)!r}"
        )
    if not out_abs.is_relative_to(root_abs) and Path(os.path.abspath(outdir)).is_relative_to(
        Path(os.path.abspath(root))
    ):
        raise UsageError(
            f"refusing to write into the output directory {str(outdir)!r}: through a symlink "
            f"it resolves to {str(out_abs)!r}, outside the analysed directory {str(root)!r}"
        )
    if out_abs == root_abs or not out_abs.is_relative_to(root_abs):
        raise UsageError(
            f"the output directory {str(outdir)!r} must be inside the analysed directory "
            f"{str(root)!r} (and not the directory itself): the images are built with the "
            "analysed directory as their context, which must hold the generated "
            "requirements files"
        )
    inside = out_abs.relative_to(root_abs).as_posix()
    reason = unsafe_path_reason(inside)
    if reason is not None:
        raise UsageError(f"the output directory {inside!r} cannot be used: {reason}")
    context = Path(os.path.relpath(root_abs, out_abs)).as_posix()
    return context, inside


def check_outdir_apart(outdir: str, app_paths: Iterable[tuple[str, str]]) -> None:
    """Refuse an OUTDIR (relative to the root, POSIX) that is an app's directory, inside one,
    or holds one (``app_paths``: (name, path) pairs): the app's image would copy the
    generated files, and a directory holding depsplit's plan is not searched for apps
    (:func:`depsplit.discover.skip_reason`). The root app (``"."``) is exempt: OUTDIR is
    always inside the root."""
    for name, path in sorted(app_paths, key=lambda item: item[1]):
        if path == ".":
            continue
        if outdir == path or outdir.startswith(path + "/"):
            raise UsageError(
                f"the output directory {outdir!r} is inside the directory of the app "
                f"{name!r} ({path}): the app's image would copy the generated files, and "
                "depsplit's output would mix with the app's own; choose a directory outside "
                "every app (e.g. deploy/)"
            )
        if path.startswith(outdir + "/"):
            raise UsageError(
                f"the output directory {outdir!r} holds the app {name!r} ({path}): a later "
                "run would take it for depsplit's output and not search it; choose a "
                "directory outside every app (e.g. deploy/)"
            )


def plan_document(gen: Generation) -> dict[str, Any]:
    from depsplit.report import json as json_report

    data: dict[str, Any] = {"generated_by": f"depsplit {__version__}"}
    data.update(json_report.to_data(gen.plan))
    data["generate"] = {
        "project": gen.project,
        "registry": gen.options.registry,
        "namespace": gen.options.namespace,
        "tag": gen.options.tag,
        "replicas": dict(sorted(gen.options.replicas.items())),
        "context": gen.options.context,
        "images": {b.group.name: b.image for b in gen.groups},
        "ports": dict(
            sorted(
                (a.app.name, a.host_port)
                for b in gen.groups
                for a in b.apps
                if a.host_port is not None
            )
        ),
    }
    resources = gen.options.deploy_resources
    if resources is not None:
        data["generate"]["resources"] = dataclasses.asdict(resources)
    if gen.options.kubernetes is not None:
        data["generate"]["kubernetes"] = kubernetes.plan_section(gen)
    return data


def render_all(plan: Plan, root: Path, options: GenerateOptions) -> dict[str, str]:
    """Every generated file, by its path relative to OUTDIR."""
    from depsplit.report import json as json_report

    gen = prepare(plan, root, options)
    head = header(gen.root_label)
    files: dict[str, str] = {}
    for build in gen.groups:
        name = build.group.name
        files[f"{name}/Dockerfile"] = dockerfile.render(gen, build, head)
        files[f"{name}/Dockerfile.dockerignore"] = dockerignore.render(gen, build, head)
        files[f"{name}/requirements.txt"] = lock.render(build.requirements, build.group, head)
        for app in build.apps:
            if app.load_balanced:
                files[compose.lb_config_path(app)] = compose.nginx_config(app, head)
    files["compose.yaml"] = compose.render(gen, head)
    if options.deploy_resources is not None:
        files[compose.STACK_FILE] = compose.render_stack(gen, head)
    if options.kubernetes is not None:
        files.update(kubernetes.render_all(gen, root, head))
    files[PLAN_FILE] = json_report.indented(plan_document(gen)) + "\n"
    return dict(sorted(files.items()))
