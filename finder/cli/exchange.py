"""Temporary: the sub-commands still registered by ``finder.hsds`` (being moved here)."""

from finder import hsds


def register(sub):  # noqa: D103
    hsds.register_cli(sub)
