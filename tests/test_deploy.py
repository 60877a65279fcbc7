"""The deployment of ``deploy/``: nginx in front of two app processes under supervisor, on free local ports.

One stack serves the whole module. What is checked: the rendered configuration (``nginx -t``), the
headers of every kind of response (Content-Security-Policy, Referrer-Policy, nosniff, caching, gzip),
sticky sessions (the routing cookie picks one process, for the page and for its WebSocket), and — last,
because it kills a process — what visitors see when an app process dies while they are connected.
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from browser_helpers import DESKTOP, RecordingPage
from deploy_helpers import AccessLog, running_stack
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from test_accessibility import RUN_DONE
from test_browser import wait_for_results

from deploy import stack as deploy_stack
from finder.settings import Settings

#: One instant for "open now" on every card, so two loads of one view show the same cards.
NOW = "2026-12-01T10:00"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("deploy"), processes=2, env={"FINDER_NOW": NOW}) as s:
        yield s


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (names in lower case; several Set-Cookie lines joined by newlines) and body."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            status, message, body = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, message, body = e.code, e.headers, e.read()
    found = {k.lower(): v for k, v in message.items()}
    found["set-cookie"] = "\n".join(message.get_all("Set-Cookie") or [])
    return status, found, body


def route_cookie(headers: dict[str, str]) -> str | None:
    """The routing cookie a response sets (the whole Set-Cookie line), or None."""
    lines = [c for c in headers["set-cookie"].split("\n") if c.startswith("bf_route=")]
    return lines[0] if lines else None


def csp_directives(value: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in value.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def test_rendered_configuration_passes_nginx_t(tmp_path):
    config = deploy_stack.StackConfig(run_dir=tmp_path / "run", port=18080, app_ports=(18081, 18082, 18083))
    deploy_stack.render(config)
    checked = deploy_stack.check_nginx_config(config.run_dir)
    assert checked.returncode == 0, checked.stderr
    site = (config.run_dir / "beratungsfinder-site.conf").read_text()
    # one group for new visitors, and one per process in which the others stand by
    assert site.count("upstream bf_app_") == 4
    for port in config.app_ports:
        assert site.count(f"server 127.0.0.1:{port} max_fails=2 fail_timeout=10s;") == 2
        assert site.count(f"server 127.0.0.1:{port} max_fails=2 fail_timeout=10s backup;") == 2
    # the production site file (what a server's nginx includes) is accepted too
    production = deploy_stack.site_config(
        (8501, 8502), listen="127.0.0.1:18090", tile_origins=(), access_log="off", secure_cookie=True
    )
    (tmp_path / "site.conf").write_text(production)
    main = (config.run_dir / "nginx.conf").read_text()
    (tmp_path / "nginx.conf").write_text(
        main.replace(str(config.run_dir / "beratungsfinder-site.conf"), "site.conf")
    )
    checked = subprocess.run(
        [deploy_stack.find_nginx(), "-t", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"),
         "-e", str(tmp_path / "error.log")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "Secure" in production
    assert "Strict-Transport-Security" in production


def test_security_headers_on_every_kind_of_response(stack):
    tile_origins = [p.origin for p in Settings().tile_providers]
    status, page_headers, page = get(f"{stack.url}/")
    assert status == 200
    assert b'<div id="root">' in page
    bundle = re.search(rb'src="\./(static/js/[^"]+\.js)"', page)[1].decode()
    responses = {
        "page": page_headers,
        "health": get(f"{stack.url}/_stcore/health")[1],
        "streamlit bundle": get(f"{stack.url}/{bundle}")[1],
        "vendor script": get(f"{stack.url}/app/static/vendor/leaflet-1.9.3/leaflet.js")[1],
        "missing static file": get(f"{stack.url}/app/static/no-such-file.js")[1],
        "component": get(f"{stack.url}/component/streamlit_folium.st_folium/index.html")[1],
    }
    for name, headers in responses.items():
        assert headers.get("referrer-policy") == "no-referrer", name
        assert headers.get("x-content-type-options") == "nosniff", name
        csp = csp_directives(headers["content-security-policy"])
        assert csp["default-src"] == ["'self'"], name
        assert csp["frame-ancestors"] == ["'self'"], name
        assert csp["connect-src"] == ["'self'"], name
        assert csp["object-src"] == ["'none'"], name
        # no other host than ours anywhere, except the opt-in tile servers as image sources
        hosts = {v for values in csp.values() for v in values if "://" in v}
        assert hosts == set(tile_origins), name
        assert csp["img-src"] == ["'self'", "data:", "blob:", *tile_origins], name
        eval_allowed = "'unsafe-eval'" in csp["script-src"]
        assert eval_allowed == (name == "component"), name
    assert get(f"{stack.url}/app/static/no-such-file.js")[0] == 404
    # the vendor folder's .gitignore (and half-written .name.tmp copies) are not served
    assert (deploy_stack.REPO / "static" / "vendor" / ".gitignore").is_file()
    assert get(f"{stack.url}/app/static/vendor/.gitignore")[0] == 404
    # a routing cookie: the number of the process, nothing about the person, gone with the session
    assert re.fullmatch(r"bf_route=[01]; Path=/; HttpOnly; SameSite=Lax", route_cookie(page_headers))


def test_cache_headers_and_compression(stack):
    _status, _headers, page = get(f"{stack.url}/")
    bundle = re.search(rb'src="\./(static/js/[^"]+\.js)"', page)[1].decode()
    status, headers, body = get(f"{stack.url}/{bundle}", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-encoding"] == "gzip"
    plain = get(f"{stack.url}/{bundle}")[2]
    assert gzip.decompress(body) == plain
    assert len(body) < len(plain) / 2
    # sent from the copy compressed when the configuration was rendered, not compressed again per visitor
    # (nginx's ETag is "<mtime>-<length>" in hex of the file it sends)
    copy = stack.config.run_dir / "precompressed" / "streamlit" / bundle.removeprefix("static/")
    copy = copy.with_name(copy.name + ".gz")
    assert body == copy.read_bytes()
    assert int(headers["content-length"]) == copy.stat().st_size
    assert headers["etag"].strip('"').split("-")[1] == f"{copy.stat().st_size:x}"
    # vendor files live in a folder named by their version: they never change under one URL
    vendor = get(f"{stack.url}/app/static/vendor/leaflet-1.9.3/leaflet.css", {"Accept-Encoding": "gzip"})[1]
    assert vendor["cache-control"] == "public, max-age=31536000, immutable"
    assert vendor["content-type"].startswith("text/css")
    assert vendor["content-encoding"] == "gzip"
    # the map component's files come from nginx too: a process that has not run a map page yet (one just
    # restarted) would not know the component
    log = AccessLog(stack)
    mark = log.mark()
    component = "/component/streamlit_folium.st_folium/index.html"
    assert get(f"{stack.url}{component}")[0] == 200
    assert [r.upstreams for r in log.wait(mark, component)] == [()]
    if deploy_stack.BROTLI_MODULE.exists():
        assert get(f"{stack.url}/{bundle}", {"Accept-Encoding": "br"})[1]["content-encoding"] == "br"
    # the page itself is revalidated every time (it names the current bundles); nginx compresses what the
    # app processes answer, too
    page_headers = get(f"{stack.url}/", {"Accept-Encoding": "gzip"})[1]
    assert page_headers["cache-control"] == "no-cache"
    assert page_headers["content-encoding"] == "gzip"


def test_sticky_sessions(stack):
    log = AccessLog(stack)
    ports = stack.config.app_ports
    # new visitors (no cookie) spread over the processes; each is given the number of the one that answered
    answered = []
    for _ in range(6):
        mark = log.mark()
        _status, headers, _body = get(f"{stack.url}/_stcore/health")
        (logged,) = log.wait(mark, "/_stcore/health")
        number = re.match(r"bf_route=(\d+);", route_cookie(headers))[1]
        assert ports[int(number)] == logged.upstream_port
        answered.append(logged.upstream_port)
    assert set(answered) == set(ports)
    # a visitor with the cookie stays with that process, and keeps the cookie it has
    for number, port in enumerate(ports):
        for _ in range(3):
            mark = log.mark()
            _status, headers, _body = get(f"{stack.url}/_stcore/health", {"Cookie": f"bf_route={number}"})
            assert [r.upstream_port for r in log.wait(mark, "/_stcore/health")] == [port]
            assert route_cookie(headers) is None
    # a cookie that names no process counts as none
    mark = log.mark()
    _status, headers, _body = get(f"{stack.url}/_stcore/health", {"Cookie": "bf_route=x"})
    (logged,) = log.wait(mark, "/_stcore/health")
    assert route_cookie(headers).startswith(f"bf_route={ports.index(logged.upstream_port)};")


def test_serve_command_line(tmp_path, capsys):
    from deploy import serve

    assert serve.main(["render-site", "--app-ports", "8601,8602", "--server-name", "finder.example.org"]) == 0
    site = capsys.readouterr().out
    assert "server 127.0.0.1:8601 " in site and "server 127.0.0.1:8602 " in site
    assert "server_name finder.example.org;" in site
    assert serve.main(["run", "--run-dir", str(tmp_path), "--env-file", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        serve.main(["run", "--processes", "0"])
    assert exit_info.value.code == 2
    # nothing running; and a stale pid file that names another process (this one) stops nothing
    assert serve.main(["stop", "--run-dir", str(tmp_path)]) == 0
    assert "nothing running" in capsys.readouterr().out
    (tmp_path / "supervisord.pid").write_text(str(os.getpid()))
    assert deploy_stack.stop_running(tmp_path) is None
    assert not (tmp_path / "supervisord.pid").exists()


def _cookie_for_port(stack, port: int) -> str:
    """The routing cookie of the process on ``port``."""
    return str(stack.config.app_ports.index(port))


def _visitor(browser, stack, cookie: str) -> RecordingPage:
    rp = RecordingPage(browser, DESKTOP)
    rp.context.add_cookies([{"name": "bf_route", "value": cookie, "url": stack.url}])
    return rp


def _results(page) -> list[str]:
    """The offices listed (their result keys, in order) once the page's run has finished."""
    wait_for_results(page, timeout=90_000)
    page.wait_for_function(RUN_DONE, timeout=90_000)
    return page.eval_on_selector_all(
        "[class*='st-key-result-']",
        "els => els.map(e => [...e.classList].find(c => c.startsWith('st-key-result-')))",
    )


def _search(page, place: str, old_results: list[str], timeout: float = 60_000) -> None:
    """Type a place and wait until the page lists other offices than ``old_results``."""
    box = page.locator(".st-key-place_text input")
    box.fill(place)
    box.press("Enter")
    page.wait_for_function(
        """([place, old]) => { const keys = [...document.querySelectorAll("[class*='st-key-result-']")]
            .map(e => [...e.classList].find(c => c.startsWith('st-key-result-')));
            return location.search.includes(place) && keys.length > 0 && keys.join() !== old.join(); }""",
        arg=[place, old_results],
        timeout=timeout,
    )


@pytest.mark.browser
def test_killing_an_app_process_while_visitors_are_connected(browser, stack):
    """Visitors on the other process carry on; new visitors never see an error; a visitor of the dead process
    carries on over the other one, and the link of their view restores it."""
    log = AccessLog(stack)
    doomed_port, other_port = stack.config.app_ports
    dead_cookie = _cookie_for_port(stack, doomed_port)
    doomed = _visitor(browser, stack, dead_cookie)
    survivor = _visitor(browser, stack, _cookie_for_port(stack, other_port))
    view = "/?lang=en&q=Leipzig&topic=asylum"
    # what the doomed visitor's page receives on each of its WebSockets
    received: list[list[bytes]] = []

    def watch(ws):
        frames: list[bytes] = []
        received.append(frames)
        ws.on("framereceived", lambda f: frames.append(f if isinstance(f, bytes) else f.encode()))

    doomed.page.on("websocket", watch)
    try:
        mark = log.mark()
        doomed.page.goto(f"{stack.url}{view}", wait_until="domcontentloaded")
        before = _results(doomed.page)
        survivor.page.goto(f"{stack.url}/?lang=en&q={quote('Görlitz')}", wait_until="domcontentloaded")
        goerlitz = _results(survivor.page)
        assert before and goerlitz
        # each visitor's page came from the process its cookie names
        pages = [r.upstream_port for r in log.wait(mark, "/", count=2)]
        assert sorted(pages) == sorted([doomed_port, other_port])

        old_pid = stack.app_pids()[0]
        killed = log.mark()
        os.kill(old_pid, signal.SIGKILL)

        # new visitors right away, before supervisor has the process back: 8 without a cookie, then 4
        # whose cookie names the dead process
        statuses = [get(f"{stack.url}/")[0] for _ in range(8)]
        moved = [get(f"{stack.url}/", {"Cookie": f"bf_route={dead_cookie}"}) for _ in range(4)]
        statuses += [status for status, _headers, _body in moved]
        assert statuses == [200] * 12
        new_visitors = log.wait(killed, "/", count=12)
        assert all(r.status == 200 and r.upstream_port == other_port for r in new_visitors[-4:])
        # and their cookie moves to the process that answered
        other_cookie = _cookie_for_port(stack, other_port)
        assert all(route_cookie(headers).startswith(f"bf_route={other_cookie};") for _s, headers, _b in moved)

        # the doomed visitor's page reconnects by itself, to the other process (a new session there). It
        # keeps showing what it showed (Streamlit does not run the page again on reconnection), and the
        # visitor's next action is answered by the other process
        deadline = time.monotonic() + 60
        while len(received) < 2 and time.monotonic() < deadline:
            doomed.page.wait_for_timeout(200)
        assert len(received) >= 2, "the page did not reconnect"
        attempts = 0
        for attempts in range(1, 4):  # noqa: B007 - printed below
            try:
                _search(doomed.page, "Chemnitz", before, timeout=20_000)
                break
            except PlaywrightTimeoutError:
                continue
        print(f"the visitor of the dead process needed {attempts} search(es) after reconnecting")
        assert "Chemnitz" in doomed.page.url
        # its cookie followed its new WebSocket, so its later requests go where its session now is
        assert [c["value"] for c in doomed.context.cookies() if c["name"] == "bf_route"] == [other_cookie]

        # the visitor on the other process carries on: a new search is answered
        _search(survivor.page, "Dresden", goerlitz)

        # the link of the first view brings it back: in that page, and in a new browser
        doomed.page.goto(f"{stack.url}{view}", wait_until="domcontentloaded")
        assert _results(doomed.page) == before
        fresh = RecordingPage(browser, DESKTOP)
        try:
            fresh.page.goto(f"{stack.url}{view}", wait_until="domcontentloaded")
            assert _results(fresh.page) == before
        finally:
            fresh.close()
        assert doomed.errors == [] and survivor.errors == []
    finally:
        doomed.close()
        survivor.close()

    # Everything since the kill, WebSockets included (logged when they closed): the doomed visitor's
    # WebSocket was on the killed process; no request was answered with a 5xx, because the requests that
    # met the dead process (max_fails per upstream group) were retried on the other one, and the rest went
    # there directly.
    after = log.since(killed)
    retried = [r for r in after if len(r.upstreams) > 1]
    print(
        f"after the kill: {len(after)} requests, statuses {sorted({r.status for r in after})}, "
        f"{len(retried)} retried on the other process ({[r.uri for r in retried]})"
    )
    assert any(r.uri == "/_stcore/stream" and r.upstreams == (f"127.0.0.1:{doomed_port}",) for r in after)
    assert all(r.status < 500 for r in after)
    assert retried
    assert all(r.upstreams[0].endswith(f":{doomed_port}") and r.upstream_port == other_port for r in retried)

    # supervisor has started the process again
    deadline = time.monotonic() + 120
    while stack.app_pids()[0] in (0, old_pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert stack.app_pids()[0] not in (0, old_pid)
