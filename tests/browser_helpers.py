"""What the real-browser tests share: the app on a free local port, and a page that records its requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from helpers import REPO

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppDidNotStart(RuntimeError):
    """The app process exited, or did not answer ``/_stcore/health`` in time."""


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float, log: Path) -> None:
    """Wait until ``url`` answers ``/_stcore/health``; :class:`AppDidNotStart` if ``proc`` exits first or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                msg = f"the app did not start (log {log}):\n{log.read_text()[-3000:]}"
                raise AppDidNotStart(msg) from None
            time.sleep(0.3)


@contextmanager
def app_process(
    folder: Path,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    *,
    repo: Path = REPO,
    timeout_s: float = 60,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``streamlit run app.py`` of ``repo`` on a free local port; yield its URL and process once healthy.

    The log goes to ``folder / "streamlit.log"``, the caches to ``folder / "cache"``; ``env`` adds environment
    variables (e.g. ``FINDER_DATA_DIR``), ``args`` Streamlit options. Shared by the browser tests and the
    benchmarks; :class:`AppDidNotStart` when it does not come up within ``timeout_s``.
    """
    port = _free_port()
    log = folder / "streamlit.log"
    env = {**os.environ, "FINDER_CACHE_DIR": str(folder / "cache"), **(env or {})}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(repo / "app.py"),
        "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", *args,
    ]  # fmt: skip
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=repo, stdout=fh, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, timeout_s, log)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def running_app(folder: Path, env: dict[str, str] | None = None, args: Sequence[str] = ()) -> Iterator[str]:
    """Run ``streamlit run app.py`` on a free local port (log and caches in ``folder``); yield its URL.

    ``env`` adds environment variables (e.g. ``FINDER_DATA_DIR``), ``args`` Streamlit options; a test fails
    when the app does not start (:func:`app_process`).
    """
    with ExitStack() as stack:
        try:
            url, _ = stack.enter_context(app_process(folder, env, args))
        except AppDidNotStart as exc:
            pytest.fail(str(exc))
        yield url


class RecordingPage:
    """A page plus every request URL it made and every script error it raised."""

    def __init__(self, browser, viewport):
        self.context = browser.new_context(viewport=viewport, locale="en-US")
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def foreign_hosts(self) -> set[str]:
        hosts = set()
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
                hosts.add(parts.hostname or url)
        return hosts

    def close(self):
        self.context.close()
