"""Benchmark of the command line's start: whole-process CPU time and peak memory of ``finder locate/nearest``.

Run from the repository root: ``python benchmarks/bench_cli.py [--repeat N] [--against REV]``. Each command
runs as a fresh process (``python -m finder.cli …``, so the repository's own ``finder`` is measured); the
figures are medians over the repeats of the child's user+system CPU seconds and its peak resident memory.
With ``--against REV`` the same commands also run in a temporary ``git worktree`` of that revision (for
example the commit before the CLI was split), and the ratio old/new is printed. Not run in CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = {
    "locate Leipzig --json": ["locate", "Leipzig", "--json"],
    "nearest --at 01067 --json": ["nearest", "--at", "01067", "--json"],
}


def run_once(repo: Path, argv: list[str]) -> tuple[float, float]:
    """CPU seconds (user + system) and peak memory (MB) of one ``python -m finder.cli`` process."""
    env = {**os.environ, "PYTHONPATH": str(repo), "FINDER_DATA_DIR": str(repo / "data")}
    child = subprocess.Popen(
        [sys.executable, "-m", "finder.cli", *argv],
        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # wait4 gives this one child's own usage (RUSAGE_CHILDREN would mix all children's peaks).
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"finder {' '.join(argv)} exited {child.returncode} in {repo}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def measure(repo: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """Median CPU seconds and peak MB per command, after one unmeasured warm-up run (file cache)."""
    out = {}
    for name, argv in COMMANDS.items():
        run_once(repo, argv)
        runs = [run_once(repo, argv) for _ in range(repeat)]
        out[name] = (statistics.median(c for c, _ in runs), max(m for _, m in runs))
    return out


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--against", help="a git revision to compare with (run in a temporary worktree)")
    args = parser.parse_args()
    ours = measure(REPO, args.repeat)
    theirs = None
    if args.against:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "old"
            subprocess.run(
                ["git", "worktree", "add", "-q", "--detach", str(tree), args.against], cwd=REPO, check=True
            )
            try:
                theirs = measure(tree, args.repeat)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO, check=True)
    print(
        f"whole-process CPU (user+sys, median of {args.repeat}) and peak RSS; python {sys.version.split()[0]}"
    )
    print(
        f"{'command':28} {'CPU s':>7} {'peak MB':>8}"
        + (f" {'old CPU s':>10} {'old MB':>7} {'ratio':>6}" if theirs else "")
    )
    for name, (cpu, mb) in ours.items():
        line = f"{name:28} {cpu:7.2f} {mb:8.0f}"
        if theirs:
            old_cpu, old_mb = theirs[name]
            line += f" {old_cpu:10.2f} {old_mb:7.0f} {old_cpu / cpu:5.1f}×"
        print(line)


if __name__ == "__main__":
    main()
