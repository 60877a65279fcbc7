"""Temporary: the sub-commands still registered by ``finder.coverage`` (being moved here)."""

from finder import coverage


def register(sub):  # noqa: D103
    coverage.register_cli(sub)
