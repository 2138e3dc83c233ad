"""Transitive mode: package indexes, a metadata cache and a resolver (``analyze --transitive``).

``config``  pip's index options and configuration files → :class:`IndexConfig`
``finder``  simple API pages, find-links, core metadata → :class:`Finder`
``cache``   on-disk cache of pages (expiring) and metadata (immutable)
``tags``    wheel tags of the container
``apps``    each app's recorded index options applied → one :class:`Finder` per set
``resolve`` resolvelib provider, :func:`resolve`, :func:`check_union`,
            :func:`transitive_requirements`, :func:`python_support`, :func:`choose_python`
"""

from __future__ import annotations

from depsplit.index.cache import Cache
from depsplit.index.config import PYPI_SIMPLE, IndexConfig, from_pip_environment
from depsplit.index.errors import (
    BadMetadataError,
    IndexError_,
    NetworkError,
    OfflineCacheMiss,
    UnknownPackageError,
)
from depsplit.index.finder import DistMetadata, Finder, IndexFile
from depsplit.index.resolve import (
    Cause,
    PinnedPackage,
    Resolution,
    ResolutionImpossible,
    ResolutionTooComplex,
    TransitiveRequirement,
    check_union,
    choose_python,
    python_support,
    resolve,
    resolve_apps,
    transitive_requirements,
)

__all__ = [
    "PYPI_SIMPLE",
    "BadMetadataError",
    "Cache",
    "Cause",
    "DistMetadata",
    "Finder",
    "IndexConfig",
    "IndexError_",
    "IndexFile",
    "NetworkError",
    "OfflineCacheMiss",
    "PinnedPackage",
    "Resolution",
    "ResolutionImpossible",
    "ResolutionTooComplex",
    "TransitiveRequirement",
    "UnknownPackageError",
    "check_union",
    "choose_python",
    "from_pip_environment",
    "python_support",
    "resolve",
    "resolve_apps",
    "transitive_requirements",
]
