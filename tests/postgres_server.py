"""A throwaway PostgreSQL server on 127.0.0.1 for the corrections tests (Debian's ``postgresql`` package).

``make postgres`` installs the package when it is missing. The server lives in a temporary folder, listens
only on loopback with ``trust`` authentication, and is stopped (and deleted) at the end of the session.
Run as root, the server runs as the ``postgres`` user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text


def find_bin_dir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl`` (PATH first, then Debian's versioned folders)."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if p.parts[-3].isdigit()]
    newest = max(found, key=lambda p: int(p.parts[-3]), default=None)
    return newest.parent if newest else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class Server:
    """A running throwaway server: its URL, and stop/start for fault tests (same folder, port and data)."""

    url: str
    bin_dir: Path
    data: Path
    log: Path
    options: str

    def start(self) -> None:
        """Start the server (again) and wait until it accepts connections."""
        subprocess.run(
            _as_server_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                             "-o", self.options, "-w", "-t", "60", "start"]),
            check=True, capture_output=True, text=True,
        )  # fmt: skip

    def running(self) -> bool:
        """Whether the server is up (``pg_ctl status``)."""
        status = subprocess.run(
            _as_server_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "status"]),
            capture_output=True,
            check=False,
        )
        return status.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: end every connection, as a restart does; ``immediate``: as a crash)."""
        subprocess.run(
            _as_server_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            capture_output=True,
            check=False,
        )


@contextmanager
def running_server() -> Iterator[str]:
    """Start a server; yield the SQLAlchemy URL of its ``postgres`` database; stop it afterwards.

    Raises
    ------
    RuntimeError
        When PostgreSQL is not installed or does not start (the message says why).
    """
    with controlled_server() as server:
        yield server.url


@contextmanager
def controlled_server() -> Iterator[Server]:
    """Like :func:`running_server`, but yield the :class:`Server` (to stop and start it in a test)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        msg = "PostgreSQL is not installed: run `make postgres` (apt-get install postgresql)"
        raise RuntimeError(msg)
    # Not under pytest's tmp_path: its parents are private to root, and the server user must enter.
    folder = Path(tempfile.mkdtemp(prefix="finder-pg-"))
    data, log = folder / "data", folder / "server.log"
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
    port = _free_port()
    server = Server(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", bin_dir, data, log,
                    f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off")  # fmt: skip
    try:
        subprocess.run(
            _as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                             "-E", "UTF8", "--no-sync"]),
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        server.start()
    except subprocess.CalledProcessError as exc:
        server_log = log.read_text() if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        msg = f"PostgreSQL did not start: {exc.stderr or exc.stdout}\n{server_log[-2000:]}"
        raise RuntimeError(msg) from exc
    try:
        yield server
    finally:
        server.stop("immediate")
        time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """Create an empty database ``name`` on the server; return its URL."""
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"
