"""Corrections from users, review by maintainers, and the history of every change to the directory.

- :class:`CorrectionStore` (:mod:`~finder.corrections.store`) keeps suggestions ("Report a change"), the
  change history, the maintainers' failed sign-ins (for :class:`finder.auth.LoginGuard`) and, when
  configured, the directory's edits, in a database through SQLAlchemy: a SQLite file by default (WAL mode;
  :attr:`finder.settings.Settings.corrections_db` = a path, or
  ``~/.local/share/beratungsfinder/corrections.sqlite``), PostgreSQL or another SQLAlchemy database when
  it is a URL (``postgresql+psycopg://user:pass@host/db``; install the driver). Nothing here sends
  anything anywhere else: suggestion texts and contacts stay in that database.
- :class:`DirectoryEditor` (:mod:`~finder.corrections.editor`) changes the directory: accept a
  suggestion, edit, confirm ("still correct"), remove, add, and revert any earlier change, each one
  recorded with who, when, why and every old and new value. The edits go to ``offices.csv`` (atomically,
  validated) or, with :attr:`finder.settings.Settings.corrections_target` ``database``, into the database.
- :func:`directory_overlay` and :func:`load_directory` (:mod:`~finder.corrections.overlay`) lay those
  edits and the confirmations over ``offices.csv`` for the app.
- :func:`~finder.corrections.audit.apply_audit` (:mod:`~finder.corrections.audit`) applies an audit file
  (a TSV of checked corrections) through the editor, one recorded change per finding.

The other modules: :mod:`~finder.corrections.text` (user text made safe, limits),
:mod:`~finder.corrections.languages` (language names to codes), :mod:`~finder.corrections.models` (the
schema) and :mod:`~finder.corrections.csvio` (reading and atomically writing the file). The command line
is ``finder review`` (:mod:`finder.cli.review`).
"""

from finder.corrections.csvio import check_rows, read_rows
from finder.corrections.editor import DirectoryEditor
from finder.corrections.languages import parse_languages
from finder.corrections.models import (
    ACTIONS,
    KIND_COLUMNS,
    STATUSES,
    SUGGESTION_KINDS,
    Base,
    ChangeSet,
    FieldChange,
    LoginFailure,
    OfficeOverride,
    ReportEvent,
    StoreLock,
    StoreSecret,
    Suggestion,
)
from finder.corrections.overlay import (
    current_rows,
    directory_overlay,
    directory_version,
    load_confirmations,
    load_directory,
    offline_position,
    position_after,
    with_new_position,
)
from finder.corrections.store import (
    CLIENT_LIMITS,
    FAILURE_RETENTION,
    GLOBAL_LIMIT,
    TARGETS,
    ChangeView,
    CorrectionStore,
    SuggestionView,
    database_url,
    default_database_path,
    directory_target,
    open_existing_store,
    safe_url,
)
from finder.corrections.text import (
    MAX_CONTACT_CHARS,
    MAX_NAME_CHARS,
    MAX_NOTE_CHARS,
    MAX_OFFICE_ID_CHARS,
    MAX_PROPOSED_CHARS,
    MAX_VALUE_CHARS,
    clean_text,
    printable,
)

# The errors this package raises (their home is finder.errors), so callers can catch them from here.
from finder.errors import ConflictError, CorrectionError, RateLimitedError, StoreUnavailableError

__all__ = [
    "ACTIONS",
    "CLIENT_LIMITS",
    "FAILURE_RETENTION",
    "GLOBAL_LIMIT",
    "KIND_COLUMNS",
    "MAX_CONTACT_CHARS",
    "MAX_NAME_CHARS",
    "MAX_NOTE_CHARS",
    "MAX_OFFICE_ID_CHARS",
    "MAX_PROPOSED_CHARS",
    "MAX_VALUE_CHARS",
    "STATUSES",
    "SUGGESTION_KINDS",
    "TARGETS",
    "Base",
    "ChangeSet",
    "ChangeView",
    "ConflictError",
    "CorrectionError",
    "CorrectionStore",
    "DirectoryEditor",
    "FieldChange",
    "LoginFailure",
    "OfficeOverride",
    "RateLimitedError",
    "ReportEvent",
    "StoreLock",
    "StoreSecret",
    "StoreUnavailableError",
    "Suggestion",
    "SuggestionView",
    "check_rows",
    "clean_text",
    "current_rows",
    "database_url",
    "default_database_path",
    "directory_overlay",
    "directory_target",
    "directory_version",
    "load_confirmations",
    "load_directory",
    "offline_position",
    "open_existing_store",
    "parse_languages",
    "position_after",
    "printable",
    "read_rows",
    "safe_url",
    "with_new_position",
]
