"""Temporary: the sub-commands still registered by ``finder.freshness`` (being moved here)."""

from finder import freshness


def register(sub):  # noqa: D103
    freshness.register_cli(sub)
