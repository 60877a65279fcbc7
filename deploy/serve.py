"""``make serve``: start, stop or render the stack of :mod:`deploy.stack` on this machine.

::

    python -m deploy.serve run  [--port 8080] [--processes 2] [--run-dir .serve] [--env-file PATH]
                                [--secrets PATH]
    python -m deploy.serve stop [--run-dir .serve]
    python -m deploy.serve render-site --app-ports 8501,8502 [--listen '443 ssl'] [--server-name NAME]
                                        [--https] [--ssl-certificate PEM --ssl-certificate-key PEM]

``run`` renders the configuration into the run folder, checks it with ``nginx -t`` and then *becomes*
supervisord in the foreground: Ctrl-C (or ``stop`` from another terminal) stops nginx and every app process.
``--env-file`` names a file of ``KEY=value`` lines kept outside the repository (``FINDER_CORRECTIONS_DB``
with its password, …); its values reach the app processes through supervisord's environment and are
written nowhere. ``render-site`` prints the site configuration a server's own nginx includes (README, "Run
it on a server").
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dotenv import dotenv_values

from deploy import stack


def _ports(text: str) -> tuple[int, ...]:
    try:
        ports = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of ports: {text!r}") from None
    if not ports or any(not 0 < p < 65536 for p in ports):
        raise argparse.ArgumentTypeError(f"ports must be 1-65535: {text!r}")
    return ports


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("between 1 and 64 processes")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deploy.serve", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start nginx + N app processes in the foreground (Ctrl-C stops)")
    run.add_argument("--port", type=int, default=int(os.environ.get("SERVE_PORT") or 8080))
    run.add_argument("--processes", type=_count, default=_count(os.environ.get("SERVE_PROCESSES") or "2"))
    run.add_argument(
        "--app-ports", type=_ports, help="ports of the app processes (default: the next ones after --port)"
    )
    run.add_argument("--run-dir", type=Path, default=stack.DEFAULT_RUN_DIR)
    run.add_argument("--env-file", type=Path, help="KEY=value lines for the app processes (secrets)")
    run.add_argument("--secrets", type=Path, help="the app's secrets.toml, outside the repo")
    stop = sub.add_parser("stop", help="stop the stack started from this run folder")
    stop.add_argument("--run-dir", type=Path, default=stack.DEFAULT_RUN_DIR)
    site = sub.add_parser("render-site", help="print the nginx site configuration for a server")
    site.add_argument("--app-ports", type=_ports, default=(8501, 8502))
    site.add_argument("--listen", default="80", help="nginx listen value (e.g. '443 ssl')")
    site.add_argument("--server-name", default="_")
    site.add_argument("--https", action="store_true", help="mark the routing cookie Secure, send HSTS")
    site.add_argument("--access-log", default="/var/log/nginx/beratungsfinder.access.log")
    site.add_argument("--ssl-certificate", type=Path, help="certificate chain for --listen '443 ssl'")
    site.add_argument("--ssl-certificate-key", type=Path)
    return parser


def _run(args: argparse.Namespace) -> int:
    app_ports = args.app_ports or tuple(args.port + 1 + i for i in range(args.processes))
    extra: dict[str, str] = {}
    if args.env_file is not None:
        if not args.env_file.is_file():
            print(f"serve: --env-file {args.env_file}: no such file", file=sys.stderr)
            return 2
        extra = {k: v for k, v in dotenv_values(args.env_file).items() if v is not None}
    config = stack.StackConfig(
        run_dir=args.run_dir.resolve(), port=args.port, app_ports=app_ports, secrets_file=args.secrets
    )
    conf = stack.render(config)
    checked = stack.check_nginx_config(config.run_dir)
    if checked.returncode != 0:
        print(f"serve: nginx refuses the rendered configuration:\n{checked.stderr}", file=sys.stderr)
        return 1
    print(
        f"serve: {config.url}/ — nginx in front of {len(app_ports)} app processes on 127.0.0.1 ports "
        f"{', '.join(map(str, app_ports))}; logs in {config.run_dir}/logs; Ctrl-C or `make serve-stop` stops",
        flush=True,
    )
    env = stack.app_environment(extra)
    os.chdir(stack.REPO)
    # supervisord takes this process's place, so Ctrl-C and `serve stop` reach it directly.
    os.execve(sys.executable, [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(conf)], env)
    return 0  # not reached


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit code (0 done, 1 failed, 2 usage)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "stop":
            pid = stack.stop_running(args.run_dir.resolve())
            print("serve: nothing running" if pid is None else f"serve: stopped supervisord (pid {pid})")
            return 0
        print(
            stack.site_config(
                args.app_ports,
                listen=args.listen,
                server_name=args.server_name,
                secure_cookie=args.https,
                access_log=args.access_log,
                tile_origins=stack.default_tile_origins(),
                ssl_certificate=args.ssl_certificate,
                ssl_certificate_key=args.ssl_certificate_key,
            ),
            end="",
        )
        return 0
    except stack.StackError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
