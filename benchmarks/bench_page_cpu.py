"""Benchmark of the server's CPU per page view, and of what the landing page sends to the browser.

Run from the repository root: ``python benchmarks/bench_page_cpu.py [--views N] [--against REV]``.

The app runs as a real ``streamlit run app.py`` on 127.0.0.1 (as in ``tests/browser_helpers.app_process``).
Each page view is a fresh headless Chromium context (no cache, no session) that opens a search for Leipzig
with a topic (``/?lang=de&q=Leipzig&topic=asylum``) and waits for the results and the map's markers. The
server process's CPU seconds (user + system, children included, from ``psutil``) are read before the view
and again once the server is idle after it; the median over the views is printed. Two warm-up views are
not counted (the first run of a process imports and loads what every later view shares). The views are
measured twice: as first visits (every static file downloaded: Streamlit's 5 MB front end is most of the
server's work then) and with a warm browser cache (each view still a new session and script run).

The landing page (``/?lang=de``) is loaded once more with a recording browser: every response's size is
summed by kind (Streamlit's own front end, which any Streamlit app sends and the browser caches; our
vendor scripts; our map layers; the WebSocket messages, which carry the page and the map's HTML), so the
payload of the map itself can be stated in KB.

With ``--stack`` the views go through ``deploy/``'s nginx in front of one app process (as in production,
nginx serves Streamlit's front end and the static files): the app process's CPU and nginx's (master and
workers) are printed apart.

With ``--against REV`` the same views run against a temporary ``git worktree`` of that revision (e.g.
``b43d852``, before the map layers became static files), and the ratio is printed. Not run in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
SEARCH_PATH = "/?lang=de&q=Leipzig&topic=asylum"
LANDING_PATH = "/?lang=de"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
CHROMIUM = "/usr/bin/chromium"
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from browser_helpers import AppDidNotStart, app_process  # noqa: E402
from deploy_helpers import running_stack  # noqa: E402


@contextlib.contextmanager
def running_app(repo: Path, folder: Path) -> Iterator[tuple[str, psutil.Process]]:
    """Start ``streamlit run app.py`` of ``repo`` on a free 127.0.0.1 port; yield its URL and process."""
    env = {
        "PYTHONPATH": str(repo),
        "FINDER_DATA_DIR": str(repo / "data"),
        "FINDER_CORRECTIONS_DB": str(folder / "corrections.sqlite"),
    }
    try:
        with app_process(folder, env, repo=repo, timeout_s=90) as (url, proc):
            yield url, psutil.Process(proc.pid)
    except AppDidNotStart:
        raise SystemExit(f"the app in {repo} did not start; see {folder / 'streamlit.log'}") from None


@contextlib.contextmanager
def running_behind_nginx(
    repo: Path, folder: Path
) -> Iterator[tuple[str, psutil.Process, list[psutil.Process]]]:
    """Start ``deploy/``'s nginx in front of one app process of ``repo``; yield the URL, the app process and
    nginx's processes (master and workers)."""
    env = {"PYTHONPATH": str(repo), "FINDER_DATA_DIR": str(repo / "data")}
    with running_stack(folder, processes=1, env=env) as stack:
        master = psutil.Process(stack.nginx_pid())
        yield stack.url, psutil.Process(stack.app_pids()[0]), [master, *master.children(recursive=True)]


def cpu_seconds(process: psutil.Process | list[psutil.Process]) -> float:
    """User + system CPU seconds of the process(es) and their finished children."""
    total = 0.0
    for one in process if isinstance(process, list) else [process]:
        times = one.cpu_times()
        total += times.user + times.system + times.children_user + times.children_system
    return total


def wait_idle(
    process: psutil.Process | list[psutil.Process], *, quiet_s: float = 0.15, settle_s: float = 0.6
) -> float:
    """Wait until the server has used (almost) no CPU for ``settle_s``; return its CPU seconds then."""
    last = cpu_seconds(process)
    still = 0.0
    while still < settle_s:
        time.sleep(quiet_s)
        now = cpu_seconds(process)
        still = still + quiet_s if now - last < 0.005 else 0.0
        last = now
    return last


def wait_for_view(page) -> None:
    """The search's results and the map with its markers are on screen."""
    page.wait_for_selector("[class*='st-key-result-']", timeout=120_000)
    frame = page.wait_for_selector(MAP_IFRAME, timeout=120_000).content_frame()
    frame.wait_for_selector(".leaflet-container", timeout=120_000)
    frame.wait_for_selector(".finder-marker, .finder-cluster, .finder-area", timeout=120_000)


def page_views(
    browser,
    url: str,
    process: psutil.Process,
    views: int,
    *,
    warmup: int = 2,
    cached: bool = False,
    proxy: list[psutil.Process] | None = None,
) -> list[float]:
    """CPU seconds per page view (after ``warmup`` uncounted views).

    Each view is a new Streamlit session. With ``cached`` the views share one browser context, so
    Streamlit's front end and our static files come from the browser's cache (a returning visitor, or a
    proxy that serves the static files); otherwise every view is a first visit that downloads them all.
    """
    costs = []
    proxy_costs = PROXY_CPU.setdefault(cached, [])
    shared = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE") if cached else None
    for i in range(warmup + views):
        before = wait_idle(process)
        proxy_before = cpu_seconds(proxy) if proxy else 0.0
        context = shared or browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
        page = context.new_page()
        page.goto(url + SEARCH_PATH, wait_until="domcontentloaded")
        wait_for_view(page)
        page.close()  # the session ends as when a visitor leaves
        if shared is None:
            context.close()
        after = wait_idle(process)
        if i >= warmup:
            costs.append(after - before)
            if proxy:
                proxy_costs.append(cpu_seconds(proxy) - proxy_before)
    if shared is not None:
        shared.close()
    return costs


def _kind(url: str) -> str:
    if "/app/static/layers/" in url:
        return "map layers (static files)"
    if "/app/static/" in url:
        return "vendor scripts (Leaflet, jQuery, cluster)"
    if "/component/" in url:
        return "map component (streamlit-folium)"
    return "Streamlit front end (any Streamlit app; cached)"


def landing_payload(browser, url: str) -> dict[str, int]:
    """Bytes of the landing page by kind (HTTP bodies and WebSocket frames received)."""
    sizes: dict[str, int] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    client = context.new_cdp_session(page)
    client.send("Network.enable")
    pending: dict[str, str] = {}

    def on_response(event: dict) -> None:
        pending[event["requestId"]] = event["response"]["url"]

    def on_finished(event: dict) -> None:
        target = pending.pop(event["requestId"], None)
        if target is not None:
            key = _kind(target)
            sizes[key] = sizes.get(key, 0) + int(event.get("encodedDataLength", 0))

    def on_frame(event: dict) -> None:
        key = "WebSocket messages (page + map HTML)"
        sizes[key] = sizes.get(key, 0) + len(event["response"].get("payloadData", ""))

    client.on("Network.responseReceived", on_response)
    client.on("Network.loadingFinished", on_finished)
    client.on("Network.webSocketFrameReceived", on_frame)
    page.goto(url + LANDING_PATH, wait_until="domcontentloaded")
    frame = page.wait_for_selector(MAP_IFRAME, timeout=120_000).content_frame()
    frame.wait_for_selector(".leaflet-container", timeout=120_000)
    with contextlib.suppress(Exception):  # the older revision has no labels or clusters
        frame.wait_for_selector(".finder-place-label, .finder-cluster", timeout=20_000)
    page.wait_for_timeout(1500)  # late layer fetches (benchmark only: measures, asserts nothing)
    context.close()
    return sizes


#: nginx's CPU seconds per counted view (``--stack``), by ``cached``.
PROXY_CPU: dict[bool, list[float]] = {}


def measure(
    repo: Path, views: int, *, stack: bool = False
) -> tuple[list[float], list[float], dict[str, int]]:
    """Per-view CPU seconds (first visits, then with a warm browser cache) and the landing payload."""
    with contextlib.ExitStack() as stack_of:
        tmp = Path(stack_of.enter_context(tempfile.TemporaryDirectory()))
        if stack:
            url, process, proxy = stack_of.enter_context(running_behind_nginx(repo, tmp))
        else:
            (url, process), proxy = stack_of.enter_context(running_app(repo, tmp)), None
        pw = stack_of.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            costs = page_views(browser, url, process, views, proxy=proxy)
            cached = page_views(browser, url, process, views, cached=True, proxy=proxy)
            payload = landing_payload(browser, url)
        finally:
            browser.close()
    return costs, cached, payload


def _report(
    name: str, costs: list[float], cached: list[float], payload: dict[str, int]
) -> tuple[float, float]:
    median = statistics.median(costs)
    print(f"{name}: server CPU per page view (first visit), median of {len(costs)}: {median:.3f} s "
          f"(min {min(costs):.3f}, max {max(costs):.3f})")  # fmt: skip
    warm = statistics.median(cached)
    print(f"{name}: server CPU per page view (browser cache warm: static files not fetched again), "
          f"median of {len(cached)}: {warm:.3f} s (min {min(cached):.3f}, max {max(cached):.3f})")  # fmt: skip
    print(f"{name}: landing page payload (bytes on the wire, KB):")
    for key, size in sorted(payload.items()):
        print(f"    {key:<52} {size / 1024:8.1f}")
    ours = sum(v for k, v in payload.items() if not k.startswith("Streamlit front end"))
    print(f"    {'without Streamlit front end':<52} {ours / 1024:8.1f}")
    return median, warm


def main() -> None:
    """Print CPU per view (and the ratio against ``--against``) and the landing payload."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=20, help="counted page views (default 20)")
    parser.add_argument("--against", help="a git revision to compare with (run in a temporary worktree)")
    parser.add_argument("--stack", action="store_true", help="through deploy/'s nginx and one app process")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; views: {args.views}; page: {SEARCH_PATH}")
    ours = _report(
        "this tree" + (" behind nginx" if args.stack else ""), *measure(REPO, args.views, stack=args.stack)
    )
    for cached, costs in PROXY_CPU.items():
        if costs:
            kind = "browser cache warm" if cached else "first visit"
            print(
                f"nginx (master + workers) CPU per page view ({kind}), median: {statistics.median(costs):.3f} s"
            )
    if args.against:
        with tempfile.TemporaryDirectory() as tmp:
            worktree = Path(tmp) / "old"
            subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.against], cwd=REPO,
                           check=True, capture_output=True)  # fmt: skip
            try:
                theirs = _report(args.against, *measure(worktree, args.views))
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=REPO, check=False)
        print(f"ratio {args.against} / this tree: first visit {theirs[0] / ours[0]:.1f}x, "
              f"browser cache warm {theirs[1] / ours[1]:.1f}x less CPU per view")  # fmt: skip


if __name__ == "__main__":
    main()
