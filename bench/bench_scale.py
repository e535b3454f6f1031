"""Benchmark: the headless commands on a 3M- and a 30M-row inference log of a binary classifier.

For each size, a deterministic Parquet log over 2024 is generated (cached in
``--workdir``), then each command runs as its own subprocess
(``python -m monitoring ... --db DB``), timed with the wall clock, its peak
resident set size read from ``os.wait4``'s rusage:

- ``import LOG.parquet --spec SPEC.toml`` into a fresh database each time;
- ``startup``: ``models --json`` on an empty database, the floor every command
  starts from (the interpreter, the CLI's imports, opening DuckDB);
- ``drift --current 2024-09-01:2024-10-01 --json``: September against the reference;
- ``check --period day --json``: the daily drift timeline from the first
  record (exit 3, an alert breach, counts as success);
- ``performance --period day --json``: daily realized and estimated metrics
  and the concept-drift diagnosis (which computes the daily timeline too).

``drift``, ``check`` and ``performance`` run on a fresh copy of the imported database,
so nothing stored by an earlier run (drift results, timeline windows) is read
back. A command that fails, times out (``--timeout``) or passes the memory cap
(``--memory-cap``, to spare a shared machine the OOM killer) is killed and
reported with its exit status and the tail of its stderr.

Run from the repository root: ``python bench/bench_scale.py``
(``--sizes 3000000 --workdir /tmp/scale`` keeps and reuses the generated files).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
MODEL = "scale_classifier"
SEED = 20240101
CHUNK_ROWS = 1_000_000
GENERATOR = "bench_scale v1"  # change when the generated data changes: cached files are redone
START, END = dt.datetime(2024, 1, 1), dt.datetime(2025, 1, 1)
REFERENCE_END = dt.datetime(2024, 3, 1)
HALFWAY = dt.datetime(2024, 7, 1)  # the step change and the start of the concept drift
LABELS_UNTIL = END - dt.timedelta(weeks=4)  # later labels are pending (NULL)
DRIFT_WINDOW = "2024-09-01:2024-10-01"
COMMANDS = ("import", "startup", "drift", "check", "performance")
OK_EXITS = {"check": (0, 3)}  # check exits 3 on an alert breach: the run itself succeeded
TARGETS = {  # command -> (seconds, MB) at 3M rows
    "import": (8.0, 600.0),
    "performance": (10.0, 500.0),
}
TARGET_ROWS = 3_000_000
MB = 1e6

NUMERIC = (
    "temperature", "amount", "wait_minutes", "latency_ms", "is_returning", "n_items", "age",
    "discount",
)  # fmt: skip
CATEGORIES = {
    "channel": ("web", "app", "store", "phone"),
    "region": tuple(f"region_{k:02d}" for k in range(12)),
    "device": ("android", "ios", "windows", "mac", "linux", "other"),
    "merchant_category": tuple(f"mcc_{k:02d}" for k in range(50)),
}
CHANNEL_EFFECT = np.array([0.0, -0.3, 0.2, 0.5])

SPEC = f"""\
# Written by bench/bench_scale.py: a synthetic binary classifier over 2024.
name = "{MODEL}"
task = "binary"
description = "bench_scale: synthetic purchase-propensity classifier, 2024"
timestamp = "scored_at"
id = "request_id"
prediction = "predicted"
scores = ["score"]
target = "label"
positive_label = "1"

[features]
numeric = {json.dumps(list(NUMERIC))}
categorical = {json.dumps(list(CATEGORIES))}

[reference]
start = {START:%Y-%m-%d}
end = {REFERENCE_END:%Y-%m-%d}

[alerts]
drifted_share = 0.5
band_metrics = ["f1"]
"""


@dataclass(frozen=True)
class Run:
    """One subprocess: what it ran, how long, its peak RSS and how it ended."""

    command: str
    rows: int
    seconds: float
    cpu_seconds: float  # user + system: less sensitive than the wall clock to a busy machine
    peak_mb: float
    exit_code: int | None
    status: str  # "ok", "exit N", "signal N", "timeout", "over memory cap" or "not run: …"
    stderr_tail: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_sizes, default=(3_000_000, 30_000_000), help="row counts")
    parser.add_argument("--workdir", type=Path, help="keep and reuse generated files here")
    parser.add_argument(
        "--repeat", type=int, help="runs per command (default: 3 below 10M rows, else 1)"
    )
    parser.add_argument("--only", type=_commands, default=COMMANDS, help=",".join(COMMANDS))
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per command")
    parser.add_argument(
        "--memory-cap", type=float, default=20.0, help="GB of RSS at which a command is killed"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="driftwatch-scale-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        spec = work / f"{MODEL}.toml"
        spec.write_text(SPEC)
        runs: list[Run] = []
        for rows in args.sizes:
            log = generate(work / f"scale_{rows}.parquet", rows)
            repeat = args.repeat or (3 if rows < 10_000_000 else 1)
            limits = (args.timeout, args.memory_cap * 1e9)
            runs += bench_size(work, log, spec, rows, args.only, repeat, limits)
    if args.json:
        print(json.dumps([{**asdict(r), "ok": r.ok} for r in runs], indent=2))
    else:
        print(table(runs))
    return 0 if all(r.ok for r in runs) else 1


def generate(path: Path, rows: int) -> Path:
    """Write ``rows`` records to ``path`` chunk by chunk, unless an identical file is there."""
    stamp = f"{GENERATOR} seed={SEED} rows={rows}"
    if path.exists() and (pq.read_schema(path).metadata or {}).get(b"generator") == stamp.encode():
        _say(f"reusing {path}")
        return path
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    schema = _schema().with_metadata({"generator": stamp})
    times = _traffic_curve()
    with pq.ParquetWriter(partial, schema) as writer:
        for first in range(0, rows, CHUNK_ROWS):
            rng = np.random.default_rng([SEED, first // CHUNK_ROWS])
            index = np.arange(first, min(first + CHUNK_ROWS, rows))
            writer.write_table(_chunk(rng, index, rows, times, schema))
    partial.replace(path)
    _say(
        f"generated {rows:,} rows in {time.perf_counter() - started:.0f} s: "
        f"{path} ({path.stat().st_size / MB:,.0f} MB)"
    )
    return path


def _schema() -> pa.Schema:
    return pa.schema(
        [("scored_at", pa.timestamp("us")), ("request_id", pa.int64())]
        + [(c, pa.int64() if c in ("is_returning", "n_items") else pa.float64()) for c in NUMERIC]
        + [(c, pa.string()) for c in CATEGORIES]
        + [("predicted", pa.string()), ("score", pa.float64()), ("label", pa.string())]
    )


def _traffic_curve() -> tuple[np.ndarray, np.ndarray]:
    """(cumulative share of traffic, second of the year) at each hour boundary of 2024.

    Traffic is quiet at night, lower at weekends and grows by half over the year;
    a row's timestamp is this curve's inverse at its position in the log.
    """
    hours = int((END - START).total_seconds() // 3600)
    hour = np.arange(hours)
    of_day = hour % 24
    weekday = (hour // 24 + START.weekday()) % 7
    rate = (
        (0.25 + np.exp(-(((of_day - 14) / 5.0) ** 2)))
        * np.where(weekday >= 5, 0.7, 1.0)
        * (1.0 + 0.5 * hour / hours)
    )
    share = np.concatenate([[0.0], np.cumsum(rate)]) / rate.sum()
    return share, np.arange(hours + 1) * 3600.0


def _chunk(
    rng: np.random.Generator,
    index: np.ndarray,
    rows: int,
    times: tuple[np.ndarray, np.ndarray],
    schema: pa.Schema,
) -> pa.Table:
    """The records at positions ``index`` of a log of ``rows`` records."""
    n = len(index)
    seconds = np.interp((index + rng.random(n)) / rows, *times)
    ts = np.datetime64(START, "us") + (seconds * 1e6).astype("timedelta64[us]")
    year = seconds / (END - START).total_seconds()  # 0 → 1 over the year
    half = (HALFWAY - START).total_seconds() / (END - START).total_seconds()
    late = year >= half

    temperature = 12 - 10 * np.cos(2 * np.pi * (year - 0.04)) + rng.normal(0, 4, n)
    amount = rng.lognormal(3.5, 1.0, n)
    wait = rng.gamma(2.0, 8.0, n)
    latency = np.where(late, rng.normal(230, 35, n), rng.normal(180, 30, n))  # a new backend
    returning = (rng.random(n) < 0.4).astype(np.int64)
    items = np.minimum(1 + rng.poisson(1.5, n), 12)
    age = np.clip(rng.normal(41, 13, n), 18, 90)
    discount = rng.beta(2, 9, n)
    amount_missing, age_missing = rng.random(n) < 0.02, rng.random(n) < 0.03

    app = 0.3 + 0.15 * year  # the app slowly takes over from the web
    channel = _pick(rng, np.stack([0.75 - app, app, np.full(n, 0.15), np.full(n, 0.1)], 1))
    fixed = np.random.default_rng(SEED)  # the same level shares and effects in every chunk
    region = rng.choice(12, n, p=fixed.dirichlet(np.full(12, 2.0)))
    device = rng.choice(6, n, p=[0.35, 0.3, 0.17, 0.1, 0.03, 0.05])
    mcc_share = 1 / np.arange(1, 51) ** 1.1
    merchant = rng.choice(50, n, p=mcc_share / mcc_share.sum())
    merchant_effect = fixed.normal(0, 0.4, 50)

    logit = (
        -1.2
        + 0.9 * np.where(amount_missing, 0, np.log(amount) - 3.5)
        + 0.04 * (wait - 16)
        - 0.7 * returning
        + 0.25 * (items - 2.5)
        - 0.02 * np.where(age_missing, 0, age - 41)
        + 2.0 * (discount - 0.18)
        + CHANNEL_EFFECT[channel]
        + merchant_effect[merchant]
    )
    score = 1 / (1 + np.exp(-logit))
    # Concept drift: from halfway on, labels follow the model's logit less and less,
    # and latency and returning customers (which the model ignores or penalises) more.
    drift = np.clip((year - half) / (1 - half), 0, 1)
    truth = (1 - 0.7 * drift) * logit + drift * (0.03 * (latency - 205) + 1.2 * (returning - 0.4))
    label = (rng.random(n) < 1 / (1 + np.exp(-truth))).astype(np.int64)
    pending = ts >= np.datetime64(LABELS_UNTIL, "us")

    binary = pa.array(["0", "1"])
    columns = [
        pa.array(ts),
        pa.array(index + 1),
        pa.array(temperature),
        pa.array(amount, mask=amount_missing),
        pa.array(wait),
        pa.array(latency),
        pa.array(returning),
        pa.array(items),
        pa.array(age, mask=age_missing),
        pa.array(discount),
    ]
    columns += [
        pa.array(levels).take(pa.array(codes))
        for levels, codes in zip(
            CATEGORIES.values(), (channel, region, device, merchant), strict=True
        )
    ]
    columns += [
        binary.take(pa.array((score >= 0.5).astype(np.int64))),
        pa.array(score),
        binary.take(pa.array(label, mask=pending)),
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _pick(rng: np.random.Generator, shares: np.ndarray) -> np.ndarray:
    """One category per row from that row's shares (rows of ``shares`` sum to 1)."""
    return (rng.random((len(shares), 1)) > np.cumsum(shares, axis=1)[:, :-1]).sum(axis=1)


def bench_size(
    work: Path,
    log: Path,
    spec: Path,
    rows: int,
    only: Sequence[str],
    repeat: int,
    limits: tuple[float, float],
) -> list[Run]:
    """Time the selected commands on one log size, round-robin over ``repeat`` rounds.

    The imported database is kept as ``scale_<rows>.duckdb`` (only after an
    import that succeeded) and reused by a later run that does not time ``import``.
    """
    imported = work / f"scale_{rows}.duckdb"
    scratch = work / f"scale_{rows}.scratch.duckdb"
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    runs: list[Run] = []
    if "import" in only:
        _remove(imported)
    if not imported.exists():
        for i in range(repeat if "import" in only else 1):
            _remove(scratch)
            argv = ["import", str(log), "--spec", str(spec)]
            run = _run("import", argv, scratch, rows, logs / f"{rows}-import-{i}", limits)
            runs.append(run)
            if run.ok:
                _remove(imported)
                scratch.replace(imported)
            _say(_line(run))
        _extrapolate(runs)
        if not imported.exists():
            runs.append(_import_in_parts(log, spec, rows, scratch, logs, limits))
            if runs[-1].ok:
                scratch.replace(imported)
        _remove(scratch)
    others = [c for c in COMMANDS[1:] if c in only]
    if not imported.exists():  # only the startup floor can still be measured
        skipped = [c for c in others if c != "startup"]
        runs += [Run(c, rows, 0.0, 0.0, 0.0, None, "not run: no database", "") for c in skipped]
        others = [c for c in others if c not in skipped]
    arguments = {
        "startup": ["models", "--json"],
        "drift": ["drift", "--model", MODEL, "--current", DRIFT_WINDOW, "--json"],
        "check": ["check", "--model", MODEL, "--period", "day", "--json"],
        "performance": ["performance", "--model", MODEL, "--period", "day", "--json"],
    }
    for i in range(repeat):
        for command in others:
            if command != "startup":
                shutil.copyfile(imported, scratch)
            out = logs / f"{rows}-{command}-{i}"
            run = _run(command, arguments[command], scratch, rows, out, limits)
            runs.append(run)
            _remove(scratch)
            _say(_line(run))
    return runs


def _import_in_parts(
    log: Path, spec: Path, rows: int, db: Path, logs: Path, limits: tuple[float, float]
) -> Run:
    """Import the log in parts of about 3M rows: the fallback when the whole file fails.

    The other commands can then still be timed on every row; the result sums the
    parts' times and keeps the largest peak, and stops at the first part that fails.
    """
    _remove(db)
    parquet = pq.ParquetFile(log)
    groups = parquet.num_row_groups
    per_part = max(1, TARGET_ROWS // CHUNK_ROWS)  # the generator writes one row group per chunk
    part = logs / f"scale_{rows}_part.parquet"
    parts: list[Run] = []
    for first in range(0, groups, per_part):
        pq.write_table(parquet.read_row_groups(range(first, min(first + per_part, groups))), part)
        argv = ["import", str(part), "--spec", str(spec)]
        out = logs / f"{rows}-import-part-{len(parts)}"
        parts.append(_run("import", argv, db, rows, out, limits))
        _say(f"part {len(parts)} of {math.ceil(groups / per_part)}: {_line(parts[-1])}")
        if not parts[-1].ok:
            break
    part.unlink()
    last = parts[-1]
    return Run(
        "import in parts",
        rows,
        sum(r.seconds for r in parts),
        sum(r.cpu_seconds for r in parts),
        max(r.peak_mb for r in parts),
        last.exit_code,
        last.status,
        last.stderr_tail,
    )


def _run(
    command: str, argv: list[str], db: Path, rows: int, out: Path, limits: tuple[float, float]
) -> Run:
    """Run ``python -m monitoring *argv --db db`` as ``command``, output to ``out``.{out,err}."""
    timeout, cap = limits
    stdout, stderr = out.with_suffix(".out"), out.with_suffix(".err")
    with stdout.open("wb") as o, stderr.open("wb") as e:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "monitoring", *argv, "--db", str(db)],
            stdout=o, stderr=e, cwd=ROOT,
        )  # fmt: skip
    pidfd = os.pidfd_open(child.pid)  # signals the child itself even after it has been reaped
    done, killed = threading.Event(), []
    watcher = threading.Thread(
        target=_watch, args=(child.pid, pidfd, started, timeout, cap, done, killed)
    )
    watcher.start()
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not RUSAGE_CHILDREN
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    os.close(pidfd)
    child.returncode = code = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if killed:
        state = killed[0]
    elif code in OK_EXITS.get(command, (0,)):
        state = "ok"
    else:
        state = f"exit {code}" if code >= 0 else f"signal {-code}"
    tail = "\n".join(stderr.read_text(errors="replace").strip().splitlines()[-3:])
    cpu = usage.ru_utime + usage.ru_stime
    return Run(command, rows, seconds, cpu, usage.ru_maxrss * 1024 / MB, code, state, tail)


def _watch(
    pid: int,
    pidfd: int,
    started: float,
    timeout: float,
    cap: float,
    done: threading.Event,
    killed: list[str],
) -> None:
    """Kill the child (by its pidfd) past ``timeout`` seconds or ``cap`` bytes of RSS."""
    while not done.wait(0.1):
        if time.perf_counter() - started > timeout:
            killed.append("timeout")
        elif _rss(pid) > cap:
            killed.append("over memory cap")
        else:
            continue
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        return


def _rss(pid: int) -> int:
    """Resident bytes of a process now (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _extrapolate(runs: list[Run]) -> None:
    """Say what a 10× larger import would need if memory grew in proportion to rows."""
    done = [r for r in runs if r.ok]
    if done:
        peak = statistics.median(r.peak_mb for r in done)
        rows = done[0].rows
        _say(f"import of {rows:,} rows: {peak:,.0f} MB peak → ×10 rows ≈ {peak / 100:,.1f} GB")


def table(runs: list[Run]) -> str:
    """Median seconds and peak RSS per size and command, next to the 3M-row targets."""
    header = ("rows", "command", "runs", "status", "median s", "min–max s", "cpu s", "peak MB")
    header += ("target",)
    lines = [header]
    groups: dict[tuple[int, str], list[Run]] = {}
    for r in runs:
        groups.setdefault((r.rows, r.command), []).append(r)
    for (rows, command), group in groups.items():
        failed = sorted({r.status for r in group if not r.ok})
        status = "ok" if not failed else ", ".join(failed)
        # Without a success, the figures of the failed runs: how far they got until they ended.
        done = [r for r in group if r.ok] or [r for r in group if r.exit_code is not None]
        seconds = [r.seconds for r in done]
        lines.append(
            (
                f"{rows / 1e6:g}M",
                command,
                f"{sum(r.ok for r in group)}/{len(group)}",
                status,
                f"{statistics.median(seconds):.1f}" if done else "-",
                f"{min(seconds):.1f}–{max(seconds):.1f}" if done else "-",
                f"{statistics.median(r.cpu_seconds for r in done):.1f}" if done else "-",
                f"{statistics.median(r.peak_mb for r in done):,.0f}" if done else "-",
                _target(rows, command, [r for r in group if r.ok]),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _target(rows: int, command: str, done: list[Run]) -> str:
    if rows != TARGET_ROWS or command not in TARGETS:
        return ""
    seconds, mb = TARGETS[command]
    wanted = f"≤ {seconds:g} s, ≤ {mb:g} MB"
    if not done:
        return wanted
    met = statistics.median(r.seconds for r in done) <= seconds and (
        statistics.median(r.peak_mb for r in done) <= mb
    )
    return f"{wanted}: {'met' if met else 'missed'}"


def _line(run: Run) -> str:
    said = f"{run.rows:,} rows {run.command}: {run.seconds:.1f} s, {run.peak_mb:,.0f} MB"
    said += f", {run.status}"
    return f"{said}\n  {run.stderr_tail}" if run.stderr_tail and not run.ok else said


def _remove(db: Path) -> None:
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


def _commands(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(","))
    unknown = set(names) - set(COMMANDS)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown command(s) {sorted(unknown)}: use {COMMANDS}")
    return names


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
