"""Load: concurrent visitors of the Find page, speaking Streamlit's own WebSocket protocol.

Each visitor does what a person does on a phone: open the page with a search (``?q=<town>&lang=en``),
then choose a topic, then a language of counselling. The two filter changes are sent as the browser sends
them, as widget states (``BackMsg.rerun_script`` with the pills' and the multiselect's new values; the
widget ids are read from the page's own deltas), not as new page loads. For each of these three runs the
script records the **time to first result** (from sending the request until the results header arrives;
the page streams it before the map) and the time until the run finished (``script_finished``), and counts
errors (a page exception, a refused or dropped connection) and timeouts.

For 1, 10, 25 and 50 visitors at once (a burst: all start together, no pause between steps) it prints
p50/p95 of both times, the errors, the server CPU per run and the memory (RSS) of every app process
before the burst and with all its visitors still connected. Run once against one ``streamlit run``
process (default: started here on a free port) and once against the nginx stack with 2 processes
(``--stack 2``: ``deploy/`` as ``make serve`` starts it; needs Debian's nginx), or against anything already
running on this machine (``--url http://127.0.0.1:8080 --pid …``).

What it leaves out, by design: the browser's own work, and the messages a browser's components send
after drawing (the map component reports no clicks until somebody clicks). Bounded: at most 50 visitors
per burst, a timeout per step (``--step-timeout``) and for the whole run (``--budget``); 127.0.0.1 only.

    python benchmarks/bench_load.py                      # one process, 1/10/25/50 visitors
    python benchmarks/bench_load.py --stack 2            # nginx + 2 processes
    python benchmarks/bench_load.py --visitors 1,10      # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import ipaddress
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psutil
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import StringArray
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # browser_helpers.app_process, deploy_helpers.running_stack

from browser_helpers import app_process  # noqa: E402

from finder import i18n  # noqa: E402
from finder.vocab import TOPICS  # noqa: E402

#: Towns the visitors search for, in turn (real places with offices nearby; a crowd does not all search
#: the same town, and the page caches nothing per query, so this only varies the lists drawn).
TOWNS: tuple[str, ...] = ("Leipzig", "Dresden", "Chemnitz", "Görlitz", "Plauen")
TOPIC = "asylum"
LANGUAGE = "ar"
MAX_VISITORS = 50
STEPS = ("search", "topic", "language")
FINISHED_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN


# --------------------------------------------------------------------------------------------------
# One visitor


class PageError(Exception):
    """The page showed an exception, or the connection ended during a run."""


@dataclasses.dataclass
class Step:
    """One run of the page as a visitor saw it (seconds; None when it did not get there)."""

    name: str
    first_result: float | None = None
    finished: float | None = None
    error: str = ""


class Session:
    """A browser tab as the server sees it: one WebSocket, widget states, the message cache."""

    def __init__(self, ws: WebSocketClientConnection, url: str) -> None:
        self.ws = ws
        self.url = url
        self.widgets: dict[str, object] = {}  # widget key -> its element proto (last run)
        self.states: dict[str, WidgetState] = {}  # widget id -> the value this tab holds
        self.cache: dict[str, ForwardMsg] = {}  # hash -> cacheable message (the browser's cache)
        self.query = ""  # what the address bar shows after the last run (the page writes its view there)
        self.started = 0.0  # when the last run was asked for

    async def run(self, query: str, step: Step, timeout: float) -> None:
        """Ask for a run (with the widget states held) and read until it has finished."""
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = query
        client.page_script_hash = ""
        client.context_info.timezone = "Europe/Berlin"
        client.context_info.locale = "en-US"
        client.context_info.url = self.url
        client.widget_states.widgets.extend(self.states.values())
        client.cached_message_hashes.extend(self.cache)
        started = self.started = time.perf_counter()
        await self.ws.write_message(msg.SerializeToString(), binary=True)
        deadline = started + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError
            data = await asyncio.wait_for(self.ws.read_message(), left)
            if data is None:
                raise PageError("connection closed")
            if isinstance(data, str):
                raise PageError("text frame")
            forward = ForwardMsg()
            forward.ParseFromString(data)
            if forward.WhichOneof("type") == "ref_hash":
                forward = self.cache.get(forward.ref_hash, forward)
            elif forward.metadata.cacheable:
                self.cache[forward.hash] = forward
            kind = forward.WhichOneof("type")
            if kind == "delta":
                self._delta(forward, step, started)
            elif kind == "page_info_changed":
                self.query = forward.page_info_changed.query_string
            elif kind == "script_finished" and forward.script_finished != FINISHED_FOR_RERUN:
                step.finished = time.perf_counter() - started
                if step.first_result is None:
                    raise PageError("the run finished without the results heading")
                return

    def _delta(self, forward: ForwardMsg, step: Step, started: float) -> None:
        delta = forward.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        body = getattr(element, kind)
        if kind == "exception":
            raise PageError(f"page exception: {body.type}: {body.message[:120]}")
        if kind == "heading" and body.anchor == "results" and step.first_result is None:
            step.first_result = time.perf_counter() - started
        widget_id = getattr(body, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            self.widgets[widget_id.split("-", 2)[-1]] = body

    def choose(self, key: str, labels: Sequence[str]) -> None:
        """Select ``labels`` in the multi-choice widget ``key`` (pills, multiselect), as a click does."""
        body = self.widgets.get(key)
        if body is None:
            raise PageError(f"no widget {key!r} on the page")
        state = WidgetState(id=body.id, string_array_value=StringArray(data=list(labels)))
        self.states[body.id] = state


def _topic_label(session: Session) -> str:
    pills = session.widgets.get("topics")
    if pills is None:
        raise PageError("no topic pills on the page")
    option = pills.options[TOPICS.index(TOPIC)]
    # The wire value is the whole formatted label; Streamlit sends a leading emoji apart, as the icon.
    return f"{option.content_icon} {option.content}" if option.content_icon else option.content


def _language_label(session: Session) -> str:
    select = session.widgets.get("languages")
    if select is None:
        raise PageError("no language selector on the page")
    name = i18n.language_name(LANGUAGE, "en")
    for option in select.options:
        if option == name or option.startswith(f"{name} ·"):
            return option
    raise PageError(f"no option for {name!r}")


def _check_view(session: Session, wanted: str) -> None:
    """The filter change took effect: the page's URL (its view) says so."""
    if wanted not in session.query.split("&"):
        raise PageError(f"the view did not change to {wanted} (URL: {session.query[:80]})")


@dataclasses.dataclass
class Crowd:
    """The visitors of one burst: how many are through their steps, and the signal to close the tabs."""

    leave: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    through: int = 0


async def visit(base: str, index: int, timeout: float, crowd: Crowd | None = None) -> list[Step]:
    """One visitor: the search, then a topic, then a language; the steps it got through.

    With a ``crowd``, the tab stays open (its session in the server's memory) until ``crowd.leave`` is
    set, as a person keeps reading the result.
    """
    steps = [Step(name) for name in STEPS]
    query = urlencode({"q": TOWNS[index % len(TOWNS)], "lang": "en"})
    parts = urlsplit(base)
    ws_url = f"ws://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"
    current = steps[0]
    ws = None
    try:
        # The page itself first, as a browser loads it: behind the proxy its answer sets the cookie that
        # keeps this visitor on one app process (the WebSocket then carries it).
        page_url = f"{base.rstrip('/')}/?{query}"
        opened = time.perf_counter()
        page = await AsyncHTTPClient().fetch(page_url, connect_timeout=timeout, request_timeout=timeout)
        cookies = [c.split(";", 1)[0] for c in page.headers.get_list("Set-Cookie")]
        headers = {"Cookie": "; ".join(cookies)} if cookies else {}
        request = HTTPRequest(ws_url, headers=headers, connect_timeout=timeout, request_timeout=timeout)
        ws = await websocket_connect(request, subprotocols=["streamlit"], max_message_size=64 << 20)
        session = Session(ws, page_url)
        await session.run(query, current, timeout)
        # The first view counts from the page request (page + connection + run), as a person waits for it.
        loading = session.started - opened
        current.first_result = None if current.first_result is None else current.first_result + loading
        current.finished = None if current.finished is None else current.finished + loading
        current = steps[1]
        session.choose("topics", [_topic_label(session)])
        await session.run(query, current, timeout)
        _check_view(session, f"topic={TOPIC}")
        current = steps[2]
        session.choose("languages", [_language_label(session)])
        await session.run(query, current, timeout)
        _check_view(session, f"language={LANGUAGE}")
    except TimeoutError:
        current.error = "timeout"
    except PageError as exc:
        current.error = str(exc)
    except (OSError, HTTPClientError) as exc:  # refused, reset, closed or answered 5xx by the proxy
        current.error = f"{type(exc).__name__}: {exc}"
    finally:
        if ws is not None:
            if crowd is not None:
                crowd.through += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(crowd.leave.wait(), timeout)
            ws.close()
    return steps


# --------------------------------------------------------------------------------------------------
# The server(s)


@dataclasses.dataclass
class Target:
    """Where the visitors go, and the app processes to watch."""

    url: str
    pids: list[int]
    label: str
    #: Each app process's own address (for the warm-up), when known.
    direct: list[str] = dataclasses.field(default_factory=list)


@contextlib.contextmanager
def one_process(folder: Path) -> Iterator[Target]:
    """``streamlit run app.py`` on a free port of 127.0.0.1, as ``make run`` starts it."""
    # PYTHONPATH: this checkout's code even where another one is installed (pip install -e).
    # --server.fileWatcherType none: as the processes of deploy/ run: nobody edits a running deployment's code
    with app_process(
        folder, {"PYTHONPATH": str(REPO)}, ["--server.fileWatcherType", "none"], timeout_s=90
    ) as (url, proc):
        yield Target(url, [proc.pid], "1 process (streamlit run)", [url])


@contextlib.contextmanager
def nginx_stack(folder: Path, processes: int) -> Iterator[Target]:
    """nginx in front of ``processes`` app processes: the deployment of ``deploy/`` (``make serve``)."""
    from deploy_helpers import running_stack  # noqa: PLC0415 - only this mode needs it (and nginx)

    with running_stack(folder, processes=processes, env={"PYTHONPATH": str(REPO)}) as stack:
        direct = [f"http://127.0.0.1:{port}" for port in stack.config.app_ports]
        yield Target(
            stack.url, stack.app_pids(), f"nginx + {processes} processes (deploy/, make serve)", direct
        )


# --------------------------------------------------------------------------------------------------
# Measuring


@dataclasses.dataclass
class Level:
    """The figures of one burst."""

    visitors: int
    steps: list[Step]
    seconds: float
    rss_before: list[float]
    rss_after: list[float]
    cpu_seconds: float
    load_before: float

    def times(self, attr: str) -> list[float]:
        return [getattr(s, attr) for s in self.steps if getattr(s, attr) is not None]

    @property
    def errors(self) -> int:
        return sum(1 for s in self.steps if s.error and s.error != "timeout")

    @property
    def timeouts(self) -> int:
        return sum(1 for s in self.steps if s.error == "timeout")

    @property
    def runs(self) -> int:
        return sum(1 for s in self.steps if s.finished is not None and not s.error)


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def _rss_mb(pids: Sequence[int]) -> list[float]:
    out = []
    for pid in pids:
        try:
            out.append(psutil.Process(pid).memory_info().rss / 2**20)
        except psutil.Error:
            out.append(float("nan"))
    return out


def _cpu_seconds(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


async def _burst(
    url: str, visitors: int, timeout: float, pids: Sequence[int] = ()
) -> tuple[list[list[Step]], list[float]]:
    """All visitors at once; the highest RSS of each process meanwhile (sampled every 0.2 s, and once
    more when every visitor is through, before any of them leaves)."""
    crowd = Crowd()
    peak = _rss_mb(pids)

    def sample() -> None:
        peak[:] = [max(a, b) for a, b in zip(peak, _rss_mb(pids), strict=True)]

    async def sampler() -> None:
        while not crowd.leave.is_set():
            sample()
            await asyncio.sleep(0.2)

    async def everybody() -> list[list[Step]]:
        try:
            return await asyncio.gather(*(visit(url, i, timeout, crowd) for i in range(visitors)))
        finally:
            crowd.leave.set()

    watching = asyncio.create_task(sampler())
    visits = asyncio.create_task(everybody())
    # Every visitor through: all sessions are still open, so this is the memory with all of them.
    while not visits.done() and crowd.through < visitors:
        await asyncio.sleep(0.05)
    sample()
    crowd.leave.set()
    results = await visits
    await watching
    return results, peak


def measure(target: Target, visitors: int, timeout: float) -> Level:
    """One burst of ``visitors`` at once; memory per process before, and at its highest during the burst."""
    rss_before = _rss_mb(target.pids)
    cpu_before = _cpu_seconds(target.pids)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    results, rss_after = asyncio.run(_burst(target.url, visitors, timeout, target.pids))
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds(target.pids) - cpu_before
    steps = [step for visit_steps in results for step in visit_steps]
    return Level(visitors, steps, seconds, rss_before, rss_after, cpu, load)


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _fmt_mb(values: Sequence[float]) -> str:
    return " / ".join(f"{v:.0f}" for v in values)


def table(label: str, levels: Sequence[Level]) -> str:
    """The Markdown table of one target."""
    lines = [
        f"**{label}**",
        "",
        "| visitors | runs ok | first result p50 / p95 (s) | run finished p50 / p95 (s) | errors | "
        "timeouts | server CPU per run (s) | RSS per process before → peak (MB) | load avg |",
        "|---:|---:|---|---|---:|---:|---:|---|---:|",
    ]
    for level in levels:
        first, done = level.times("first_result"), level.times("finished")
        cpu = level.cpu_seconds / level.runs if level.runs else None
        lines.append(
            f"| {level.visitors} | {level.runs}/{len(level.steps)} | "
            f"{_fmt(_percentile(first, 50))} / {_fmt(_percentile(first, 95))} | "
            f"{_fmt(_percentile(done, 50))} / {_fmt(_percentile(done, 95))} | {level.errors} | "
            f"{level.timeouts} | {_fmt(cpu)} | {_fmt_mb(level.rss_before)} → {_fmt_mb(level.rss_after)} | "
            f"{level.load_before:.1f} |"
        )
    return "\n".join(lines)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()


def _commit() -> str:
    """The commit measured, and whether the working tree differs from it."""
    try:
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        return _git("rev-parse", "--short", "HEAD") + (" (+ uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def _check_local(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        sys.exit(f"refusing {url}: this load test only targets this machine (127.0.0.1)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", default="1,10,25,50", help="bursts, comma-separated (each ≤ 50)")
    parser.add_argument("--stack", type=int, metavar="N", help="nginx + N app processes (deploy/)")
    parser.add_argument("--url", help="an app already running on this machine")
    parser.add_argument("--pid", type=int, action="append", default=[], help="its app process ids")
    parser.add_argument("--step-timeout", type=float, default=180.0, help="seconds per run (default 180)")
    parser.add_argument("--budget", type=float, default=1500.0, help="seconds for all bursts (default 1500)")
    args = parser.parse_args(argv)
    bursts = [int(v) for v in args.visitors.split(",") if v.strip()]
    if not bursts or any(not 1 <= v <= MAX_VISITORS for v in bursts):
        parser.error(f"--visitors: numbers from 1 to {MAX_VISITORS}")

    print(f"cores: {os.cpu_count()}   commit: {_commit()}   Python {sys.version.split()[0]}")
    print(f"visitor: ?q=<town>&lang=en, then topic={TOPIC}, then language={LANGUAGE} ({len(STEPS)} runs)")
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-")))
        if args.url:
            _check_local(args.url)
            target = Target(args.url.rstrip("/"), args.pid, f"{args.url} ({len(args.pid)} processes watched)")
        elif args.stack:
            target = stack.enter_context(nginx_stack(folder, args.stack))
        else:
            target = stack.enter_context(one_process(folder))
        _check_local(target.url)
        # The first visitor of a process loads the directory, the index and the maps: measured apart, on
        # each process directly (through the proxy a new visitor may land on either).
        started = time.perf_counter()
        first = []
        for url in target.direct or [target.url]:
            [steps], _ = asyncio.run(_burst(url, 1, args.step_timeout))
            first.append(steps[0].finished)
        print(f"warm-up (first visitor per process, cold caches): {', '.join(_fmt(v) for v in first)} s; "
              f"{time.perf_counter() - started:.1f} s in all")  # fmt: skip
        levels = []
        deadline = time.monotonic() + args.budget
        for visitors in bursts:
            if time.monotonic() > deadline:
                print(f"budget of {args.budget:.0f} s used up: skipped {visitors} visitors")
                continue
            level = measure(target, visitors, args.step_timeout)
            levels.append(level)
            problems = sorted({s.error for s in level.steps if s.error})
            print(
                f"  {visitors:>2} visitors: {level.seconds:.1f} s" + (f"; {problems[:3]}" if problems else "")
            )
        print()
        print(table(target.label, levels))
    own = psutil.Process().cpu_times()
    print(f"\nthe load client itself used {own.user + own.system:.1f} s of CPU (it shares the cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
