"""The deployment of ``deploy/`` for tests and benchmarks: nginx + N app processes on free local ports.

::

    with running_stack(tmp_path, processes=2) as stack:
        stack.url            # http://127.0.0.1:PORT, nginx in front of the processes
        stack.app_pids()     # process ids of the app processes (supervisor restarts one that dies)
        stack.config.app_ports

Each app process gets its caches and corrections database in ``folder`` unless ``env`` says otherwise.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.stack import Stack, StackConfig, StackError, free_port

__all__ = ["AccessLog", "LoggedRequest", "running_stack"]


def _distinct_ports(count: int) -> tuple[int, ...]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return tuple(ports)


@contextmanager
def running_stack(
    folder: Path, processes: int = 2, env: Mapping[str, str] | None = None, timeout_s: float = 120
) -> Iterator[Stack]:
    """Start nginx + ``processes`` app processes (run folder, logs in ``folder / "run"``); stop them after."""
    port, *app_ports = _distinct_ports(processes + 1)
    config = StackConfig(run_dir=folder / "run", port=port, app_ports=tuple(app_ports))
    stack = Stack(
        config,
        env={
            "FINDER_CACHE_DIR": str(folder / "cache"),
            "FINDER_CORRECTIONS_DB": str(folder / "corrections.sqlite"),
            **(env or {}),
        },
    )
    try:
        stack.start()
        stack.wait_ready(timeout_s=timeout_s)
    except StackError as exc:
        stack.stop()
        pytest.fail(str(exc))
    try:
        yield stack
    finally:
        stack.stop()


@dataclass(frozen=True)
class LoggedRequest:
    """One line of the stack's access log (format ``bf_private``: no address, no query string)."""

    method: str
    uri: str
    status: int
    upstreams: tuple[str, ...]
    upstream_statuses: tuple[str, ...]

    @property
    def upstream_port(self) -> int | None:
        """Port of the process that finally answered (None: nginx answered itself)."""
        last = self.upstreams[-1] if self.upstreams else "-"
        return int(last.rsplit(":", 1)[1]) if ":" in last else None


_LINE = re.compile(
    r'^\S+ (?P<method>\S+) "(?P<uri>[^"]*)" (?P<status>\d+) \d+ \S+ '
    r'upstream="(?P<up>[^"]*)" upstream_status="(?P<ups>[^"]*)"$'
)


def _split(value: str) -> tuple[str, ...]:
    # nginx joins the upstreams it tried with ", " (and " : " after an internal redirect)
    return tuple(p.strip() for p in re.split(r"[,:]\s(?=\S)", value) if p.strip() and p.strip() != "-")


class AccessLog:
    """Reads what nginx logged after a mark.

    nginx writes a request's line after the response has gone out, so a client may hold the answer a
    moment before the line is there: :meth:`wait` for the lines you expect rather than reading at once.
    """

    def __init__(self, stack: Stack):
        self.path = stack.config.run_dir / "logs" / "nginx-access.log"

    def mark(self) -> int:
        """The current end of the log."""
        return self.path.stat().st_size if self.path.exists() else 0

    def since(self, mark: int) -> list[LoggedRequest]:
        """The requests logged after ``mark``."""
        with self.path.open("rb") as fh:
            fh.seek(mark)
            text = fh.read().decode("utf-8")
        requests = []
        for line in text.splitlines():
            m = _LINE.match(line)
            if m:
                requests.append(
                    LoggedRequest(m["method"], m["uri"], int(m["status"]), _split(m["up"]), _split(m["ups"]))
                )
        return requests

    def wait(self, mark: int, uri: str, count: int = 1, timeout_s: float = 10) -> list[LoggedRequest]:
        """The requests for ``uri`` logged after ``mark``, once there are ``count`` of them."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = [r for r in self.since(mark) if r.uri == uri]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)
