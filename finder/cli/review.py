"""Temporary: the sub-commands still registered by ``finder.corrections`` (being moved here)."""

from finder import corrections


def register(sub):  # noqa: D103
    corrections.register_cli(sub)
