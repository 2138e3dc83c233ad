"""depsplit: split a Python monorepo's apps into the fewest conflict-free containers."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
