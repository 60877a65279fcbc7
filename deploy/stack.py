"""nginx in front of N Streamlit processes under supervisor: render the configuration, start, inspect, stop.

One machine's stack lives in a *run folder* (default ``.serve/`` in the repository, git-ignored): the
rendered ``nginx.conf`` + ``beratungsfinder-site.conf`` and ``supervisord.conf``, pid files, the supervisor
socket, temp folders and logs. nginx runs as the current user with that folder as its prefix, so nothing
needs root and no system configuration is read or touched. ``supervisord`` (PyPI ``supervisor``) starts the
app processes, each ``streamlit run app.py`` on its own 127.0.0.1 port, and nginx with ``daemon off``, and
starts again whichever of them dies.

The same site template (:data:`SITE_TEMPLATE`) is what a server's system nginx includes
(``python -m deploy.serve render-site``; see README, "Run it on a server").
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import importlib.util
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import xmlrpc.client
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from supervisor.xmlrpc import SupervisorTransport

from deploy.precompress import precompress_front_ends
from finder.assets import AssetError, install_static_assets
from finder.settings import Settings

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates"
SITE_TEMPLATE = "nginx-site.conf.j2"
DEFAULT_RUN_DIR = REPO / ".serve"
#: Where Debian's packages put what nginx needs.
MIME_TYPES = Path("/etc/nginx/mime.types")
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so")
#: A process that refused or dropped MAX_FAILS connections gets no requests for FAIL_TIMEOUT_S seconds (then
#: is tried again); two, so that one glitch does not take a healthy process out.
MAX_FAILS = 2
FAIL_TIMEOUT_S = 10


class StackError(RuntimeError):
    """The stack cannot be rendered, started or stopped (the message says why and what to do)."""


def find_nginx() -> str:
    """The nginx binary (``/usr/sbin`` is not on every user's ``PATH``)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        msg = "nginx is missing: run `make nginx` (apt-get install nginx)"
        raise StackError(msg)
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_static_dir() -> Path:
    """Streamlit's built frontend (``index.html`` and the content-hashed ``static/`` bundles)."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or spec.origin is None:
        msg = "streamlit is not installed: run `make setup`"
        raise StackError(msg)
    return Path(spec.origin).parent / "static"


#: Streamlit components the app uses: (URL name, package, folder of its built frontend in the package).
COMPONENTS = (("streamlit_folium.st_folium", "streamlit_folium", "frontend/build"),)


def component_dirs() -> dict[str, Path]:
    """The built frontend of each component in :data:`COMPONENTS` that is installed, by its URL name."""
    found = {}
    for name, package, folder in COMPONENTS:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin is not None:
            path = Path(spec.origin).parent / folder
            if (path / "index.html").is_file():
                found[name] = path
    return found


def inline_script_hashes(index_html: Path) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for the inline scripts of Streamlit's ``index.html``.

    Allowing exactly these scripts keeps ``'unsafe-inline'`` out of ``script-src``; the hashes follow the
    installed Streamlit version because they are computed from its file when the configuration is rendered.
    """
    html = index_html.read_text(encoding="utf-8")
    hashes = []
    for body in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        hashes.append(f"'sha256-{digest}'")
    return hashes


def content_security_policy(
    tile_origins: Sequence[str], script_hashes: Sequence[str] = (), *, component: bool = False
) -> str:
    """The Content-Security-Policy: our own origin only, plus the tile servers a person may opt in to.

    Parameters
    ----------
    tile_origins
        ``scheme://host`` of each tile provider (``TileProvider.origin``): map pictures only (``img-src``).
    script_hashes
        Hashes of the inline scripts of Streamlit's page (see :func:`inline_script_hashes`).
    component
        The policy for component iframes (the map): folium writes the map as inline scripts and
        streamlit-folium evaluates parts of them with ``eval``, so ``'unsafe-inline'`` and
        ``'unsafe-eval'`` are allowed there, and only there. Its data is escaped where it is made
        (``finder._map_html``), so this relaxation matters only if that escaping fails.

    Examples
    --------
    >>> policy = content_security_policy(["https://tile.openstreetmap.org"])
    >>> "img-src 'self' data: blob: https://tile.openstreetmap.org" in policy
    True
    >>> "'unsafe-eval'" in policy, "'unsafe-eval'" in content_security_policy([], component=True)
    (False, True)
    """
    if component:
        # The map's HTML differs per view, so its inline scripts cannot be listed by hash (a hash next to
        # 'unsafe-inline' would switch 'unsafe-inline' off), and streamlit-folium runs parts of it with eval.
        scripts = ["'self'", "'unsafe-inline'", "'unsafe-eval'"]
    else:
        # Streamlit's protobuf decoder compiles WebAssembly, and custom components (v2: the "my position"
        # button) are imported from blob: URLs that only our own scripts can create.
        scripts = ["'self'", *script_hashes, "'wasm-unsafe-eval'", "blob:"]
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        # Streamlit (emotion) and folium write style elements and attributes at run time.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *tile_origins],
        "font-src": ["'self'", "data:"],
        # 'self' covers the WebSocket to the same host (CSP 3).
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        # Components are same-origin iframes of our own page; nobody else may frame it.
        "frame-ancestors": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def default_tile_origins() -> tuple[str, ...]:
    """Origins of the tile servers a person may switch on (``FINDER_TILE_PROVIDERS``)."""
    return tuple(p.origin for p in Settings().tile_providers)


def _supervisor_quote(value: object) -> str:
    """Supervisor expands ``%(name)s`` in values; a literal ``%`` is written ``%%``."""
    return str(value).replace("%", "%%")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # configuration files, not HTML
    )
    env.filters["pct"] = _supervisor_quote
    return env


@dataclass(frozen=True)
class StackConfig:
    """What one machine's stack looks like.

    Attributes
    ----------
    run_dir
        Rendered configuration, pid files, socket, temp folders and logs.
    port
        nginx listens on ``127.0.0.1:port``.
    app_ports
        One Streamlit process per port, each on 127.0.0.1.
    secrets_file
        A ``secrets.toml`` outside the repository for the app (the review password), or None for
        Streamlit's default places.
    listen_host
        Address nginx listens on (127.0.0.1: only this machine).
    tile_origins
        Tile servers a person may switch on, allowed as image sources by the Content-Security-Policy.
    """

    run_dir: Path
    port: int
    app_ports: tuple[int, ...]
    secrets_file: Path | None = None
    listen_host: str = "127.0.0.1"
    tile_origins: tuple[str, ...] = field(default_factory=default_tile_origins)

    @property
    def url(self) -> str:
        """The stack's address, as a visitor reaches it."""
        return f"http://{self.listen_host}:{self.port}"

    def app_command(self, port: int) -> str:
        """The command line of the Streamlit process on ``port``."""
        args = [
            sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
            "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
            # nobody edits the code of a running deployment; watching files costs CPU and inotify watches
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        if self.secrets_file is not None:
            args += ["--secrets.files", str(self.secrets_file)]
        return " ".join(_shell_quote(a) for a in args)

    def nginx_command(self) -> str:
        """The nginx command: in the foreground (``daemon off``) with the run folder as its prefix."""
        return " ".join(
            _shell_quote(a)
            for a in (
                find_nginx(), "-p", f"{self.run_dir}/", "-c", str(self.run_dir / "nginx.conf"),
                "-e", str(self.run_dir / "logs" / "nginx-error.log"), "-g", "daemon off;",
            )
        )  # fmt: skip


def _shell_quote(arg: str) -> str:
    """Quote for supervisor's command parser (shlex rules)."""
    return shlex.quote(arg)


def site_config(
    app_ports: Sequence[int],
    *,
    listen: str,
    tile_origins: Sequence[str],
    access_log: str,
    server_name: str = "_",
    secure_cookie: bool = False,
    brotli: bool | None = None,
    app_static: Path = REPO / "static",
    ssl_certificate: Path | None = None,
    ssl_certificate_key: Path | None = None,
    precompressed_dir: Path | None = None,
) -> str:
    """The ``http``-level nginx configuration: maps, upstream, server (see the template).

    Parameters
    ----------
    app_ports
        Ports of the Streamlit processes on 127.0.0.1.
    listen
        nginx's ``listen`` value (``127.0.0.1:8080``; ``80`` or ``443 ssl`` on a server).
    tile_origins
        Tile servers a person may switch on (allowed as image sources).
    access_log
        nginx's ``access_log`` value (a path, then the private format is used, or ``off``).
    server_name
        nginx's ``server_name``.
    secure_cookie
        Behind HTTPS: mark the routing cookie ``Secure`` and send ``Strict-Transport-Security``.
    brotli
        Compress with brotli too; None: when Debian's module is installed.
    app_static
        The app's ``static/`` folder.
    ssl_certificate, ssl_certificate_key
        Certificate (chain) and key for ``listen 443 ssl``.
    precompressed_dir
        A folder filled by :func:`deploy.precompress.precompress_front_ends`: serve Streamlit's front end and
        the components from there with ``gzip_static`` instead of compressing them for every visitor.
        None: from the installed packages, compressed on the fly.
    """
    if not app_ports:
        msg = "at least one app process is needed"
        raise StackError(msg)
    static = streamlit_static_dir()
    hashes = inline_script_hashes(static / "index.html")
    log = access_log if access_log == "off" else f"{access_log} bf_private"
    return (
        _environment()
        .get_template(SITE_TEMPLATE)
        .render(
            app_ports=list(app_ports),
            listen=listen,
            server_name=server_name,
            access_log=log,
            secure_cookie=secure_cookie,
            brotli=BROTLI_MODULE.exists() if brotli is None else brotli,
            fail_timeout_s=FAIL_TIMEOUT_S,
            max_fails=MAX_FAILS,
            csp=content_security_policy(tile_origins, hashes),
            component_csp=content_security_policy(tile_origins, hashes, component=True),
            streamlit_static=(
                static / "static" if precompressed_dir is None else precompressed_dir / "streamlit"
            ),
            app_static=app_static,
            components=(
                component_dirs()
                if precompressed_dir is None
                else {name: precompressed_dir / "component" / name for name in component_dirs()}
            ),
            gzip_static=precompressed_dir is not None,
            ssl_certificate=ssl_certificate,
            ssl_certificate_key=ssl_certificate_key,
        )
    )


def render(config: StackConfig) -> Path:
    """Write the stack's configuration into ``config.run_dir``; return the ``supervisord.conf`` path."""
    run = config.run_dir
    for sub in ("logs", "tmp"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    run.chmod(0o700)
    if not MIME_TYPES.exists():
        msg = f"{MIME_TYPES} is missing: run `make nginx` (apt-get install nginx)"
        raise StackError(msg)
    brotli = BROTLI_MODULE.exists()
    env = _environment()
    # nginx would otherwise compress Streamlit's ~5 MB front end again for every first visit.
    precompress_front_ends(streamlit_static_dir() / "static", component_dirs(), run / "precompressed")
    (run / "beratungsfinder-site.conf").write_text(
        site_config(
            config.app_ports,
            listen=f"{config.listen_host}:{config.port}",
            tile_origins=config.tile_origins,
            access_log=str(run / "logs" / "nginx-access.log"),
            brotli=brotli,
            precompressed_dir=run / "precompressed",
        ),
        encoding="utf-8",
    )
    (run / "nginx.conf").write_text(
        env.get_template("nginx.conf.j2").render(
            run_dir=run,
            mime_types=MIME_TYPES,
            brotli=BROTLI_MODULE if brotli else None,
            # A master started as root hands its workers to `user` (default nobody, who could not read the
            # run folder); otherwise nginx stays the current user and the directive would only warn.
            user=getpass.getuser() if os.geteuid() == 0 else None,
        ),
        encoding="utf-8",
    )
    # The app copies the map's scripts into static/ on its first page view; nginx serves that folder, so
    # copy them now, before the first visitor asks for them.
    try:
        install_static_assets(REPO / "static")
    except AssetError as exc:
        raise StackError(str(exc)) from exc
    conf = run / "supervisord.conf"
    conf.write_text(
        env.get_template("supervisord.conf.j2").render(
            run_dir=run,
            repo=REPO,
            app_ports=list(config.app_ports),
            app_command=config.app_command,
            nginx_command=config.nginx_command(),
        ),
        encoding="utf-8",
    )
    return conf


def check_nginx_config(run_dir: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on the rendered configuration (returncode 0 when nginx accepts it)."""
    return subprocess.run(
        [find_nginx(), "-t", "-p", f"{run_dir}/", "-c", str(run_dir / "nginx.conf"),
         "-e", str(run_dir / "logs" / "nginx-error.log")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def app_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment supervisord (and so every app process) runs with.

    The app sits behind exactly one proxy (this nginx), so it may take the client address from the last
    ``X-Forwarded-For`` entry (``FINDER_TRUSTED_PROXIES=1``) unless the operator said otherwise.
    """
    env = {**os.environ, **(extra or {})}
    env.setdefault("FINDER_TRUSTED_PROXIES", "1")
    return env


class Stack:
    """A started stack: supervisord (our child) with the app processes and nginx under it.

    Parameters
    ----------
    config
        What to start.
    env
        Extra environment for the processes (e.g. the contents of an env file with secrets).
    """

    def __init__(self, config: StackConfig, env: Mapping[str, str] | None = None):
        self.config = config
        self.env = app_environment(env)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where visitors reach the stack."""
        return self.config.url

    def start(self) -> None:
        """Render the configuration and start supervisord in the background (see :meth:`wait_ready`)."""
        conf = render(self.config)
        checked = check_nginx_config(self.config.run_dir)
        if checked.returncode != 0:
            msg = f"nginx refuses the rendered configuration:\n{checked.stderr}"
            raise StackError(msg)
        log = (self.config.run_dir / "logs" / "supervisord-stdout.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(conf)],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()

    def rpc(self) -> xmlrpc.client.ServerProxy:
        """The XML-RPC interface of supervisord, over its Unix socket."""
        transport = SupervisorTransport(None, None, f"unix://{self.config.run_dir}/supervisor.sock")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def process_info(self) -> dict[str, dict]:
        """Each process as supervisor sees it (``name``, ``statename``, ``pid``, …) by name."""
        return {p["name"]: p for p in self.rpc().supervisor.getAllProcessInfo()}

    def app_pids(self) -> list[int]:
        """Process ids of the app processes, in port order (0 for one that is not running)."""
        info = self.process_info()
        return [int(info[f"app-{i}"]["pid"]) for i in range(len(self.config.app_ports))]

    def nginx_pid(self) -> int:
        """Process id of nginx's master process."""
        return int(self.process_info()["nginx"]["pid"])

    def wait_ready(self, timeout_s: float = 90) -> None:
        """Wait until every app process answers its health check and nginx answers in front of them."""
        deadline = time.monotonic() + timeout_s
        targets = [f"http://127.0.0.1:{p}/_stcore/health" for p in self.config.app_ports]
        targets.append(f"{self.url}/_stcore/health")
        pending = list(targets)
        while pending:
            if self.process is not None and self.process.poll() is not None:
                msg = f"supervisord stopped (exit {self.process.returncode}); see {self.config.run_dir}/logs"
                raise StackError(msg)
            if time.monotonic() > deadline:
                msg = f"not ready after {timeout_s:.0f} s: {pending}; see {self.config.run_dir}/logs"
                raise StackError(msg)
            try:
                with urllib.request.urlopen(pending[0], timeout=2) as response:
                    if response.status == 200:
                        pending.pop(0)
                        continue
            except OSError:
                pass
            time.sleep(0.3)

    def stop(self, timeout_s: float = 30) -> None:
        """Stop supervisord, which stops nginx and the app processes first."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def stop_running(run_dir: Path, timeout_s: float = 30) -> int | None:
    """Stop the stack whose supervisord pid file is in ``run_dir``; return its pid, or None if none ran."""
    pid_file = run_dir / "supervisord.pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        # a stale pid file may name a process id that now belongs to somebody else
        running = b"supervisord" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        running = False
    if not running:
        pid_file.unlink(missing_ok=True)
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        time.sleep(0.2)
    msg = f"supervisord (pid {pid}) did not stop within {timeout_s:.0f} s"
    raise StackError(msg)
