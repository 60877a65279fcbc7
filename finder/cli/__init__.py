"""The ``finder`` command line: one module per group of commands, loaded only when asked for.

Exit codes: 0 success, 1 "nothing found" or "invalid data" (any :class:`finder.errors.FinderError`),
2 wrong usage (argparse, a value out of range, an unusable ``FINDER_*`` setting), 3 an unexpected error
(a bug: please report it), 130 interrupted, 141 the reader closed standard output (``finder nearest … |
head``: the command stops quietly, as Unix tools do). Whatever the input, the command prints a message,
never a traceback.

Each module of this package has a ``register(sub)`` that adds its sub-commands; :func:`main` imports only
the module of the command given, so ``finder locate`` never pays for the imports of ``finder coverage``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from finder.cli._output import (
    EXIT_BROKEN_PIPE,
    EXIT_CRASH,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    fail,
)
from finder.errors import FinderError, SettingsError

#: Command → module of this package that registers it (``register(sub)``).
COMMANDS: dict[str, str] = {
    "locate": "locate",
    "nearest": "nearest",
    "validate": "validate",
    "geocode": "data",
    "build-data": "data",
    "coverage": "coverage",
    "review": "review",
    "report": "report",
    "export": "exchange",
    "import": "exchange",
    "outreach": "outreach",
}


def _command_of(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv`` (its first word that is not an option), if it is one of ours."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``command``, only that command's module is imported and registered.

    Parameters
    ----------
    command
        A key of :data:`COMMANDS`, or None for all commands (``finder --help``, documentation, tests).
    """
    parser = argparse.ArgumentParser(
        prog="finder", description="Beratungsfinder Sachsen on the command line."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    modules = [COMMANDS[command]] if command else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"finder.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; never lets a traceback reach the user."""
    try:
        code = _run(argv)
        sys.stdout.flush()  # a closed pipe shows here, inside the try, not at interpreter exit
        return code
    except BrokenPipeError:
        # The reader has gone (`| head`): not a bug. As the signal module's "Note on SIGPIPE" says, point
        # stdout at devnull so that Python's flush at exit does not fail again, and end quietly; with
        # 128 + SIGPIPE rather than its 1, which here means "nothing found".
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _run(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = argparse.Namespace()
    try:
        args = build_parser(_command_of(argv)).parse_args(argv)
        return int(args.func(args))
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise  # see main
    except SettingsError as exc:  # a FINDER_* variable: the person's to fix, not a bug
        return fail(args, str(exc), EXIT_USAGE)
    except FinderError as exc:  # input or data the library refused with a message (not a bug)
        return fail(args, str(exc), EXIT_NOT_FOUND)
    except Exception as exc:  # the promise: no traceback, and a code scripts can tell from a usage error
        return fail(args, f"unexpected error ({type(exc).__name__}: {exc}); please report it", EXIT_CRASH)
