"""Emitters: the plan → the files of ``depsplit generate`` (pure: nothing here writes).

:func:`render_all` returns ``{relative POSIX path in OUTDIR: text}`` (each text a string,
or :class:`~depsplit.pieces.Pieces` made when written: the plan, ``compose.yaml`` and each
group's files), in sorted order, from
the emitters of :data:`EMITTERS` (each an :class:`~depsplit.emit.interface.Emitter`):

- ``<group>/Dockerfile``, ``<group>/Dockerfile.dockerignore``, ``<group>/requirements.txt``;
- ``compose.yaml``, and ``lb/<app>.nginx.conf`` for each load-balanced app;
- with deploy settings (``options.deploy_resources``), ``stack.yaml``: the same services as
  a Swarm stack;
- with ``options.kubernetes``, ``kubernetes/``: a ``kustomization.yaml`` and one manifest
  file per app (:mod:`depsplit.emit.kubernetes`);
- ``depsplit-plan.json``: the plan it was made from (the JSON report) and the options; the
  writer adds the hashes of the files it wrote (``"files"``) (:mod:`depsplit.emit.planfile`).

Adding a file family is one module with its emitter, one line in :data:`EMITTERS` and its
tests.

The build context of every image is the analysed root, so OUTDIR must be inside it
(:func:`layout` refuses anything else): the Dockerfiles copy app directories and their
generated ``requirements.txt`` from there.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from depsplit.emit import compose, dockerfile, dockerignore, kubernetes, lock, planfile
from depsplit.emit.build import GenerateOptions, Generation, prepare
from depsplit.emit.entrypoints import EntryPoint, detect
from depsplit.emit.interface import Emitter
from depsplit.emit.planfile import PLAN_FILE, plan_document
from depsplit.emit.text import header, unsafe_path_reason
from depsplit.errors import UsageError
from depsplit.model import Plan
from depsplit.pieces import Pieces

__all__ = [
    "EMITTERS",
    "PLAN_FILE",
    "Emitter",
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


EMITTERS: Mapping[str, Emitter] = MappingProxyType(
    {
        "dockerfile": dockerfile.emit,
        "dockerignore": dockerignore.emit,
        "requirements": lock.emit,
        "compose": compose.emit,
        "stack": compose.emit_stack,
        "kubernetes": kubernetes.emit,
        "plan": planfile.emit,
    }
)
"""Name → emitter of every file family :func:`render_all` makes, in the order they run."""


def render_all(
    plan: Plan, root: Path, options: GenerateOptions, emitters: Mapping[str, Emitter] = EMITTERS
) -> dict[str, str | Pieces]:
    """Every generated file, by its path relative to OUTDIR, in sorted order: what each of
    ``emitters`` makes for ``plan`` (analysed in ``root``) with ``options``.
    :class:`RuntimeError` (a bug in depsplit, not in the input) when two emitters make the
    same path."""
    gen = prepare(plan, root, options)
    head = header(gen.root_label)
    files: dict[str, str | Pieces] = {}
    made_by: dict[str, str] = {}
    for name, emitter in emitters.items():
        for path, text in emitter(gen, root, head).items():
            if path in made_by:
                raise RuntimeError(
                    f"the emitters {made_by[path]!r} and {name!r} both make {path!r}"
                )
            made_by[path] = name
            files[path] = text
    return dict(sorted(files.items()))
