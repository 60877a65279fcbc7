"""What every command prints the same way: JSON, error messages and exit codes."""

from __future__ import annotations

import argparse
import json
import sys

EXIT_OK = 0
#: Nothing found, or the data is invalid.
EXIT_NOT_FOUND = 1
#: Wrong usage: an unknown option, a value out of range (argparse uses 2 as well).
EXIT_USAGE = 2
#: An unexpected error: a bug, never the user's fault.
EXIT_CRASH = 3
EXIT_INTERRUPTED = 130
#: Standard output was closed by its reader (`finder nearest … | head`): 128 + SIGPIPE, as Unix tools end.
EXIT_BROKEN_PIPE = 141


def print_json(obj: object) -> None:
    """Print ``obj`` as indented UTF-8 JSON (the one JSON printer of the command line)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def fail(args: argparse.Namespace, message: str, code: int = EXIT_NOT_FOUND) -> int:
    """Report ``message`` as ``{"error": …}`` with ``--json``, else on stderr; return ``code``."""
    if getattr(args, "json", False):
        print_json({"error": message})
    else:
        sys.stderr.write(f"error: {message}\n")
    return code
