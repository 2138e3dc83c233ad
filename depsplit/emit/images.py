"""Image references as Docker's reference grammar defines them
(github.com/distribution/reference): ``[registry/][namespace/]repository[:tag]``.

With no registry Docker uses Docker Hub, with no tag ``latest``; the short form is written
(``api:latest`` is ``docker.io/library/api:latest``).
"""

from __future__ import annotations

import re

from depsplit.errors import UsageError

PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*")
TAG = re.compile(r"[\w][\w.-]{0,127}")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
REGISTRY = re.compile(rf"(?:{_IPV6}|{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*)(?::[0-9]+)?")
DEFAULT_TAG = "latest"
MAX_NAME_LENGTH = 255


def _looks_like_registry(component: str) -> bool:
    """Docker reads a first component with a ``.`` or ``:`` , or ``localhost``, as a host."""
    return "." in component or ":" in component or component == "localhost"


def validate_registry(registry: str) -> str:
    if not REGISTRY.fullmatch(registry):
        raise UsageError(
            f"invalid --registry {registry!r}: expected a host name or IP address with an "
            "optional :port (e.g. ghcr.io, registry.example.com:5000), without a scheme or path"
        )
    return registry


def validate_namespace(namespace: str, *, registry: str | None) -> str:
    components = namespace.split("/")
    for component in components:
        if not PATH_COMPONENT.fullmatch(component):
            raise UsageError(
                f"invalid --namespace {namespace!r}: path component {component!r} must be "
                "lowercase letters and digits, separated by '.', '_', '__' or '-' "
                "(not at the start or end)"
            )
    if registry is None and _looks_like_registry(components[0]):
        raise UsageError(
            f"invalid --namespace {namespace!r}: Docker would read {components[0]!r} as a "
            "registry host; give it with --registry"
        )
    return namespace


def validate_tag(tag: str) -> str:
    if not TAG.fullmatch(tag):
        raise UsageError(
            f"invalid --tag {tag!r}: a tag is 1 to 128 characters, letters, digits, '_', "
            "'.' and '-', not starting with '.' or '-'"
        )
    return tag


def repository_name(group: str) -> str:
    """A group name (``[a-z0-9][a-z0-9_-]*``, like an app's) as an image repository path
    component: a run of ``-`` and ``_`` that Docker's grammar does not allow as a separator
    (``-_``, ``___``) becomes ``-``; an ending separator is dropped."""
    name = re.sub(r"[-_]+", lambda m: m[0] if re.fullmatch(r"-+|_{1,2}", m[0]) else "-", group)
    return name.strip("-_.") or "group"


def image_reference(
    repository: str, *, registry: str | None, namespace: str | None, tag: str | None
) -> str:
    """The image reference of a group's image; :class:`UsageError` with the reason when
    the parts do not make a valid reference."""
    if registry is not None:
        validate_registry(registry)
    if namespace is not None:
        validate_namespace(namespace, registry=registry)
    if not PATH_COMPONENT.fullmatch(repository):
        raise UsageError(
            f"group name {repository!r} is not a valid image repository name: lowercase "
            "letters and digits, separated by '.', '_', '__' or '-'"
        )
    name = "/".join(p for p in (registry, namespace, repository) if p)
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(f"image name {name!r} is longer than {MAX_NAME_LENGTH} characters")
    return f"{name}:{validate_tag(tag if tag is not None else DEFAULT_TAG)}"
