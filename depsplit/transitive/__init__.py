"""Transitive conflicts through a package index (``--transitive``).

The direct analysis (:mod:`depsplit.conflicts`) compares what the apps write. This module
resolves each app's closure through the index (:mod:`depsplit.index`, pip's resolvelib core)
and reports what only the closures show: ``web`` pins ``fastapi==0.95.2``, which needs
``pydantic<2``, while ``api`` needs ``pydantic>=2.5``.

How
    1. **Each app alone**, at its interpreter (:func:`depsplit.conflicts.app_python`); when it
       cannot be resolved there, the older minors it allows are tried (a package with only
       ``cp311`` wheels makes 3.11 the newest an app can use). An app that resolves at no
       minor is a one-app conflict (it cannot be installed even alone), its message the
       resolver's chains.
    2. **Candidates**: every requirement edge of each closure (:func:`transitive_requirements`)
       becomes a requirement of a throwaway copy of the app — role ``main``, origin the
       top-level requirement's, marker ``python_version == "X.Y"`` for the minor it was
       resolved at — and the direct engine (:func:`depsplit.conflicts.find_conflicts`) finds
       the sets of apps whose edges on a package cannot be met together, each at the set's
       common interpreter. Sets that already hold a direct conflict are left out.
    3. **Verification**: a candidate is reported only when the union of its apps does not
       resolve at any minor they share (:func:`check_union`): edges come from one choice of
       versions, and another choice may fix them. Verification stops at the time budget; the
       rest is counted in a warning, and the groups are still checked as a whole.
    4. **Groups**: the partition's whole-group check is the direct check *and* a resolution
       of the group's union (:meth:`Transitive.check`), which returns a minimal infeasible
       subset (the apps the resolver's causes name when they fail on their own, else a
       deletion filter). Each final group gets the newest minor its resolution supports
       (``Requires-Python`` and wheel tags; ``group_python`` in the configuration or
       ``--python`` override it) and its lock: the resolution's pins with hashes.

What is not resolved
    A direct URL, VCS or local path requirement (``pkg @ …``, ``file:libs/common``, ``-e``)
    cannot go through an index: it is left out of the resolution with a warning naming the
    file and line. Its version is still checked by the direct analysis, but its own
    dependencies are not, and the generated lock then carries it as written (without
    ``--hash`` options, which pip refuses to mix with such lines).

Index options recorded in an app's requirements files (``--index-url``,
``--extra-index-url``, ``--find-links``, ``--no-index``) apply to that app's resolution, and
to the groups it joins, as pip applies them: a file's ``--index-url`` replaces the configured
one. A recorded URL whose credentials were redacted (``****``) or that names an environment
variable (``${TOKEN}``) cannot be used: the configured index is used instead, with a warning
naming the file and line (never the secret).

Modules
    ``session``    :class:`Transitive`, the run's state, and :class:`TransitiveFindings`
    ``closures``   step 1: each app's closure at the minors it allows; the requirements
                   that go into a resolution
    ``verify``     steps 2 and 3: candidate conflicts between closures, their verification
    ``conflicts``  the conflict records (one app alone, apps together), the merge with the
                   direct analysis's
    ``sharing``    which apps can share a container (their union resolves at a shared minor)
    ``groups``     step 4: the partition's whole-group check
    ``locks``      each final group's interpreter and lock
    ``reuse``      one resolution for apps that write the same requirements
    ``notes``      the run's diagnostics
    The finders of each app's recorded index options are :mod:`depsplit.index.apps`.

Fail closed: an index that cannot be read, an offline cache miss, a file that cannot be read
or a resolution that does not finish is an error diagnostic naming the package and the index
(exit 2), never "no conflict". An sdist-only release of unknown dependencies that had to be
taken as having none is a warning naming it (:func:`~depsplit.index.resolve.assumed_sdists`).
"""

from __future__ import annotations

from depsplit.transitive.conflicts import merge_conflicts
from depsplit.transitive.session import Transitive, TransitiveFindings

__all__ = ["Transitive", "TransitiveFindings", "merge_conflicts"]
