"""Renderers: pure functions from a :class:`~depsplit.model.Plan` to text."""
