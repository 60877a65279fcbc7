"""Benchmark of directory writes and imports at 1k, 10k and 80k synthetic offices (prints the figures).

Run from the repository root: ``python benchmarks/bench_import.py [--sizes 1000,10000,80000] [--repeat N]
[--against REV [--against-sizes 1000,10000]]``. Not run in CI.

The synthetic directories are valid rows of about 600 bytes each, like the real ones (80,000 rows are about
48 MB, just under the import cap of 50 MB), made by a seeded generator below. Per size, each step runs in a
fresh worker process (``--worker``, the repository's own ``finder`` on ``PYTHONPATH``), timed with
``time.perf_counter`` around the call only (not the process start), and the median over the repeats is
printed:

- **validate**: :func:`finder.directory.validate_file` of the N-row file;
- **dry run**: ``finder import N.csv --dry-run`` into the real 210-office directory (N additions; the
  directory and the file in the column layout of the code under test);
- **import**: the same import applied (a fresh copy of the directory and a fresh history database for each
  repeat): one atomic rewrite, N recorded changes;
- **rewrite**: one office's phone changed in an N-office directory (``DirectoryEditor.apply``): read,
  check, rewrite, record.

With ``--against REV`` the same workers also run on the same files with the code of that revision (exported
with ``git archive`` into a temporary folder), e.g. the commit before the quadratic steps were removed, and
the ratio old/new is printed: the fairest baseline, the same command with the same inputs and the same
measurement (each side on a file in its own column layout, so the old side's file may lack columns added
since). Sizes where the old code takes minutes to hours (the review's extrapolation for 80k) are left
out by ``--against-sizes`` (default 1,000 and 10,000). A second table times ``serialise_rows`` (the
directory's CSV text) against the former algorithm, which copied the whole buffer once per row.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

# The repository's own finder, never another installed clone; a worker gets the tree of the code under test
# (possibly an older revision) in BENCH_IMPORT_TREE.
sys.path.insert(0, os.environ.get("BENCH_IMPORT_TREE", str(Path(__file__).resolve().parent.parent)))

from finder import vocab
from finder.cli import build_parser
from finder.corrections import CorrectionStore, DirectoryEditor
from finder.directory import OFFICE_COLUMNS, validate_file

REPO = Path(__file__).resolve().parent.parent
STEPS = ("validate", "dry run", "import", "rewrite")
DEFAULT_REPEATS = {1_000: 5, 10_000: 3, 80_000: 3}


# --------------------------------------------------------------------------------------------------
# Synthetic offices


def synthetic_rows(n: int, seed: int = 13) -> Iterator[dict[str, str]]:
    """``n`` valid offices of about 600 bytes each (ids ``syn-0`` …), the same for the same seed."""
    rng = random.Random(seed)
    for i in range(n):
        yield {
            "id": f"syn-{i}", "name": f"Beratungsstelle {i} für Migration und Integration",
            "provider": f"Träger {i % 500} e.V.", "kind": rng.choice(vocab.KINDS),
            "street": f"Hauptstraße {i % 200 + 1}", "postcode": f"0{rng.randint(1000, 9999)}",
            "city": "Dresden", "district": rng.choice(vocab.DISTRICTS),
            "phone": f"0351 {rng.randint(100000, 999999)}", "email": f"info{i}@beratung-{i % 97}.de",
            "website": f"https://beratung-{i % 97}.de/stelle/{i}", "languages": "de;en;ar",
            "topics": "residence;asylum;work", "target_group": "all",
            "target_group_original": "alle Zugewanderten", "opening_hours": "Mo-Fr 09:00-12:00; Di 13:00-17:00",
            "source_url": f"https://quelle-{i % 50}.de/seite/{i}", "source_date": "2024-05",
            "last_checked": "2026-11-28", "notes": "Synthetische Zeile für die Messung. " * 6,
            "lat": f"{rng.uniform(50.2, 51.6):.5f}", "lon": f"{rng.uniform(11.9, 15.0):.5f}",
            "geocode_precision": "postcode", "geocode_source": "geonames-postcode",
        }  # fmt: skip


def write_synthetic(path: Path, n: int) -> Path:
    """Write ``n`` synthetic offices in the column layout of ``offices.csv`` (of the code under test).

    Columns the generator does not know stay blank; those the code under test does not know are left out.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, OFFICE_COLUMNS, restval="", extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(synthetic_rows(n))
    return path


# --------------------------------------------------------------------------------------------------
# Worker: runs in a child process with the code under test on PYTHONPATH


def _cli(argv: Sequence[str]) -> int:
    """Run one ``finder`` command in-process, its output thrown away; return the exit code."""
    args = build_parser().parse_args(list(argv))
    with (
        Path(os.devnull).open("w") as null,
        contextlib.redirect_stdout(null),
        contextlib.redirect_stderr(null),
    ):
        return args.func(args)


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _check(code: object, what: str) -> None:
    if code != 0:
        raise SystemExit(f"{what} exited {code}")


def worker(step: str, n: int, real_directory: Path, repeats: int) -> tuple[list[float], float]:
    """Seconds of each repeat of ``step`` on a synthetic file of ``n`` offices, and the file's size in MB.

    The file is written here, in the column layout of the code under test (not timed).
    """
    workdir = Path(tempfile.mkdtemp())
    source = write_synthetic(workdir / f"offices-{n}.csv", n)
    times = []
    for repeat in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "data"
            folder.mkdir()
            if step == "validate":
                times.append(_timed(lambda: _check(len(validate_file(source)), "validate")))
            elif step in ("dry run", "import"):
                shutil.copy(real_directory / "offices.csv", folder / "offices.csv")
                argv = ["import", str(source), "--data-dir", str(folder)]
                argv += (
                    ["--dry-run"] if step == "dry run" else ["--db", str(Path(tmp) / "c.sqlite"), "--by", "b"]
                )
                times.append(_timed(lambda argv=argv: _check(_cli(argv), step)))
            else:  # rewrite
                shutil.copy(source, folder / "offices.csv")
                store = CorrectionStore(str(Path(tmp) / "c.sqlite"))
                editor = DirectoryEditor(store, folder / "offices.csv", target="csv")
                change = {"phone": f"0351 {100000 + repeat}"}
                times.append(_timed(lambda e=editor, c=change: e.apply("syn-7", c, by="b", reason="bench")))
                store.dispose()
    megabytes = source.stat().st_size / 1e6
    shutil.rmtree(workdir)
    return times, megabytes


def run_worker(tree: Path, step: str, n: int, repeats: int) -> tuple[list[float], float]:
    """Run :func:`worker` in a child process with ``tree``'s ``finder``."""
    env = {**os.environ, "BENCH_IMPORT_TREE": str(tree)}
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", step, str(n), str(repeats)]
    child = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise SystemExit(f"worker {step} failed in {tree}:\n{child.stderr[-2000:]}")
    return json.loads(child.stdout.splitlines()[-1])


# --------------------------------------------------------------------------------------------------
# serialise_rows against the former algorithm


def serialise_by_copying(header: Sequence[str], rows: Sequence[Mapping[str, str]]) -> tuple[str, list[int]]:
    """The former ``serialise_rows``: counts each row's lines in a copy of everything written so far."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    lines, line = [], 2
    for row in rows:
        before = out.tell()
        writer.writerow([row.get(column, "") for column in header])
        lines.append(line)
        out.seek(0, io.SEEK_END)
        line += out.getvalue()[before:].count("\n")
    return out.getvalue(), lines


def serialise_table(sizes: Sequence[int], old_sizes: Sequence[int], repeats: int) -> None:
    """Print the times of :func:`serialise_rows` and of the former algorithm (same rows, same text)."""
    from finder.corrections.csvio import serialise_rows  # noqa: PLC0415 (only the new code has it linear)

    print("\nserialise_rows (the directory's CSV text), median seconds")
    print(f"{'rows':>8} {'linear':>9} {'former':>9} {'ratio':>7}")
    for n in sizes:
        rows = list(synthetic_rows(n))
        new = statistics.median(
            _timed(lambda r=rows: serialise_rows(OFFICE_COLUMNS, r)) for _ in range(repeats)
        )
        line = f"{n:8d} {new:9.3f}"
        if n in old_sizes:
            assert serialise_by_copying(OFFICE_COLUMNS, rows) == serialise_rows(OFFICE_COLUMNS, rows)
            old = statistics.median(
                _timed(lambda r=rows: serialise_by_copying(OFFICE_COLUMNS, r)) for _ in range(repeats)
            )
            line += f" {old:9.3f} {old / new:6.1f}×"
        print(line)


# --------------------------------------------------------------------------------------------------


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def main() -> None:
    """Print the tables."""
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        step, n, repeats = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        # The real directory (210 offices) of the code under test, in its column layout.
        tree = Path(os.environ.get("BENCH_IMPORT_TREE", str(REPO)))
        print(json.dumps(worker(step, n, tree / "data", repeats)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_sizes, default=[1_000, 10_000, 80_000])
    parser.add_argument("--repeat", type=int, help="repeats per step (default 5 at 1k, 3 at 10k and 80k)")
    parser.add_argument("--against", help="a git revision to compare with (exported with git archive)")
    parser.add_argument("--against-sizes", type=_sizes, default=[1_000, 10_000])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        old_tree = None
        if args.against:
            old_tree = Path(tmp) / "old"
            old_tree.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.against], cwd=REPO, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive.stdout, check=True)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; median seconds per step")
        header = f"{'rows':>8} {'MB':>6} {'step':>9} {'repeats':>7} {'now':>8}"
        print(header + (f" {'old':>8} {'old/now':>8}" if old_tree else ""))
        for n in args.sizes:
            repeats = args.repeat or DEFAULT_REPEATS.get(n, 3)
            for step in STEPS:
                times, megabytes = run_worker(REPO, step, n, repeats)
                now = statistics.median(times)
                line = f"{n:8d} {megabytes:6.1f} {step:>9} {repeats:7d} {now:8.2f}"
                if old_tree is not None and n in args.against_sizes:
                    # The old code is slow: one repeat from 10k on.
                    old_times, _ = run_worker(old_tree, step, n, repeats if n < 10_000 else 1)
                    old = statistics.median(old_times)
                    line += f" {old:8.2f} {old / now:7.1f}×"
                print(line, flush=True)
        serialise_table(args.sizes, [n for n in args.sizes if n <= 10_000], 3)


if __name__ == "__main__":
    main()
