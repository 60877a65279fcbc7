"""Reading an input file safely: regular files only, and never more than a cap.

A size check with ``stat()`` alone protects nothing: ``/dev/zero`` and a FIFO both report size 0, and
reading them never ends (the one fills memory, the other blocks). :func:`read_regular_file` therefore
refuses anything that is not a regular file before opening it, opens without blocking, checks the opened
file again (it may have been swapped in between), and reads at most ``limit + 1`` bytes.
:func:`wide_encoding` recognises the UTF-16/UTF-32 text that spreadsheets save as "Unicode text".
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path

__all__ = ["MAX_INPUT_BYTES", "read_regular_file", "wide_encoding"]

#: Largest file the directory reader and the import accept (bytes); the real directory is about 0.1 MB.
MAX_INPUT_BYTES = 50_000_000

_CHUNK = 1 << 20


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something else"


def _refuse_unless_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
    raise OSError(code, f"not a regular file but {_kind(mode)}")


def _too_large(size: int | None, limit: int) -> OSError:
    amount = f"{size} bytes" if size is not None else f"more than {limit} bytes"
    return OSError(errno.EFBIG, f"too large: {amount}, at most {limit}")


def read_regular_file(path: str | os.PathLike[str], limit: int = MAX_INPUT_BYTES) -> bytes:
    """Read a whole regular file of at most ``limit`` bytes (a link to a regular file is fine).

    Parameters
    ----------
    path
        The file.
    limit
        Largest accepted size in bytes.

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    OSError
        If the file cannot be read, is not a regular file (a folder, FIFO, device or socket, also behind a
        link), or is larger than ``limit``; ``strerror`` says which in words.

    Examples
    --------
    >>> read_regular_file("/dev/zero")
    Traceback (most recent call last):
    OSError: [Errno 22] not a regular file but a device
    """
    where = Path(path)
    info = where.stat()
    _refuse_unless_regular(info.st_mode)
    if info.st_size > limit:
        raise _too_large(info.st_size, limit)
    # O_NONBLOCK: if a FIFO was swapped in after the check, opening it must not wait for a writer.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(where, flags)
    try:
        info = os.fstat(fd)
        _refuse_unless_regular(info.st_mode)
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(_CHUNK, left))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        # The file grew after the size check.
        raise _too_large(None, limit)
    return data


def wide_encoding(data: bytes) -> str | None:
    """The name of the UTF-16/UTF-32 encoding ``data`` seems to be in, or None.

    Such a file (a spreadsheet's "Unicode text") is no UTF-8 at all: it deserves one message, not one per
    field. Recognised by its byte order mark, or by NUL bytes in a quarter of its first 4 KiB (text in
    these encodings has a NUL next to every ASCII letter; no CSV has NULs at all).

    Examples
    --------
    >>> wide_encoding("id,name".encode("utf-16")), wide_encoding("id,name".encode("utf-16-be"))
    ('UTF-16', 'UTF-16')
    >>> wide_encoding("id,name".encode("utf-8")) is None
    True
    """
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    sample = data[:4096]
    if sample and sample.count(0) * 4 >= len(sample):
        return "UTF-16" if sample.count(0) * 3 < len(sample) * 2 else "UTF-32"
    return None
