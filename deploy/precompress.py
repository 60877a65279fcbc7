"""Precompressed copies of the installed front ends, for nginx's ``gzip_static``.

nginx serves Streamlit's front end (about 5 MB of JavaScript per first visit) and the map component's files
from the installed packages. Compressing them on the fly costs nginx more CPU per first visit than the app
process spends on the whole page view, again for every visitor, although the files never change. So
:func:`mirror` builds, in the run folder (never in site-packages or the repository), a tree with the same
paths: a symbolic link to each original file, and beside each compressible one a ``name.gz`` that nginx's
``gzip_static on`` sends instead. The ``.gz`` copy carries the original's modification time, so it stays
recognisably up to date (a re-render skips it) and its ``Last-Modified`` matches the original's.

Only gzip: Debian's nginx has the brotli *filter* module but not the brotli *static* one, and the Python
``brotli`` package is not a dependency. A client that accepts only brotli still gets on-the-fly brotli.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

#: File types worth compressing (the same types nginx compresses on the fly, see the site template).
COMPRESSIBLE_SUFFIXES = frozenset({".js", ".mjs", ".css", ".html", ".json", ".map", ".svg", ".txt"})
#: Smaller files are sent as they are (nginx's ``gzip_min_length``).
MIN_LENGTH = 1024


def _up_to_date(copy: Path, source_stat: os.stat_result) -> bool:
    """Whether ``copy`` exists with the source's modification time (what :func:`mirror` gives it)."""
    try:
        return copy.stat().st_mtime_ns == source_stat.st_mtime_ns
    except FileNotFoundError:
        return False


def _write_gzip(source: Path, target: Path, source_stat: os.stat_result) -> None:
    """Write ``target`` (gzip, level 9) atomically, dated like ``source``."""
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(gzip.compress(source.read_bytes(), compresslevel=9, mtime=0))
    os.utime(tmp, ns=(source_stat.st_atime_ns, source_stat.st_mtime_ns))
    tmp.replace(target)


def mirror(source_dir: Path, target_dir: Path) -> int:
    """Mirror ``source_dir`` into ``target_dir`` as links plus ``.gz`` copies of the compressible files.

    Idempotent: links that point right and ``.gz`` copies dated like their original are kept; files whose
    original is gone (an upgraded package) are removed.

    Parameters
    ----------
    source_dir
        An installed front end (read only).
    target_dir
        Its mirror, below the run folder.

    Returns
    -------
    int
        How many ``.gz`` copies were (re)written.
    """
    written = 0
    wanted: set[Path] = set()
    for root, _dirs, files in os.walk(source_dir):
        relative = Path(root).relative_to(source_dir)
        (target_dir / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            source = Path(root) / name
            link = target_dir / relative / name
            wanted.add(link)
            if not (link.is_symlink() and link.readlink() == source):
                link.unlink(missing_ok=True)
                link.symlink_to(source)
            if source.suffix not in COMPRESSIBLE_SUFFIXES:
                continue
            source_stat = source.stat()
            if source_stat.st_size < MIN_LENGTH:
                continue
            copy = link.with_name(f"{name}.gz")
            wanted.add(copy)
            if not _up_to_date(copy, source_stat):
                _write_gzip(source, copy, source_stat)
                written += 1
    for root, _dirs, files in os.walk(target_dir):
        for name in files:
            path = Path(root) / name
            if path not in wanted:
                path.unlink()
    return written


def precompress_front_ends(streamlit_static: Path, components: dict[str, Path], target_dir: Path) -> int:
    """Mirror Streamlit's front end and each component (``target_dir/streamlit``, ``…/component/<name>``).

    Returns how many ``.gz`` copies were (re)written (0 on a re-render with nothing changed).
    """
    written = mirror(streamlit_static, target_dir / "streamlit")
    for name, path in components.items():
        written += mirror(path, target_dir / "component" / name)
    return written
