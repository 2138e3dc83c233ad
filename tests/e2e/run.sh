#!/usr/bin/env bash
# End-to-end: build and run depsplit's generated containers on a private dockerd.
# Needs root on Debian 12 and the package registries (apt, PyPI); no Docker Hub.
# Cache: $DEPSPLIT_E2E_CACHE or /var/cache/depsplit-e2e. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python -m pytest -m e2e tests/e2e -s -p no:cacheprovider --tb=short "$@"
