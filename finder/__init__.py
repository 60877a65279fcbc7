"""Beratungsfinder Sachsen: find counselling offices for migrants in Saxony — offline, private, on a map.

The public entry point is :class:`finder.core.Finder`; see the README for the command line and settings.
"""

__version__ = "0.1.0"
