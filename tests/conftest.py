"""Shared fixtures: a running app on 127.0.0.1 and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def run_cli(argv: Sequence[str], capsys) -> tuple[int, str, str]:
    """Run one ``finder`` command in-process: exit code, stdout, stderr.

    Unlike ``finder.cli.main`` it lets exceptions through, so a test sees a crash as a crash.
    """
    from finder.cli import build_parser

    args = build_parser().parse_args(list(argv))
    code = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(folder: Path, env: dict[str, str] | None = None, args: Sequence[str] = ()) -> Iterator[str]:
    """Run ``streamlit run app.py`` on a free local port (log and caches in ``folder``); yield its URL.

    ``env`` adds environment variables (e.g. ``FINDER_DATA_DIR``), ``args`` Streamlit options.
    """
    port = _free_port()
    log = folder / "streamlit.log"
    env = {**os.environ, "FINDER_CACHE_DIR": str(folder / "cache"), **(env or {})}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", *args,
    ]  # fmt: skip
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(f"the app did not start:\n{log.read_text()[-3000:]}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> Iterator[str]:
    """The app on the embedded data, on a free local port."""
    with running_app(tmp_path_factory.mktemp("app")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (Playwright's own browser download does not work here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1 (see ``tests/postgres_server.py``); yields its URL."""
    from postgres_server import running_server

    try:
        with running_server() as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


_database_number = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """The URL of an empty corrections database: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "db" / "corrections.sqlite")
    from postgres_server import fresh_database

    return fresh_database(request.getfixturevalue("postgres_server"), f"test_{next(_database_number)}")
