"""Readers, one module per input format. Each exposes ``read(path, ctx) -> SourceResult`` and
reports bad input as diagnostics with file and line instead of raising, so that one broken
file never hides the rest of the monorepo."""
