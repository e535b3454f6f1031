"""Benchmark: Driftwatch's per-feature drift run against Evidently's DataDriftPreset.

Generates ``--rows`` reference and ``--rows`` current records (default 1M each)
with 15 numeric and 5 categorical features plus a predicted class into a
DuckDB file in a temporary directory, then runs, each in a fresh subprocess:

- **driftwatch**: ``monitoring.drift.run_drift(detector="auto")`` with stored
  results bypassed — Alibi Detect p-values on every row, effect sizes and the
  histogram / category-count data for plots, read from the DuckDB file;
- **evidently**: the same 21 columns of both windows read from the same file
  into pandas, then ``Report([DataDriftPreset()]).run(current, reference)``
  with Evidently's default per-column tests, in the interpreter given by
  ``--evidently-python`` (a separate virtual environment: Evidently needs
  numpy 2 and pandas < 3).

Each side imports its libraries first; the timed section starts after that.
Memory is the peak resident set size of the timed section (the kernel's
high-water mark is reset with ``/proc/self/clear_refs`` after imports, so the
figure still includes what the imports keep resident) and, for context, the
process's whole-life peak. Run from the repository root::

    python bench/bench_drift.py --evidently-python ../evidently-venv/bin/python
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = "bench"
NUMERIC = tuple(f"num_{i:02d}" for i in range(15))
CATEGORICAL = tuple(f"cat_{j}" for j in range(5))
PREDICTION = "predicted_class"
REFERENCE = (dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1))
CURRENT = (dt.datetime(2024, 2, 1), dt.datetime(2024, 3, 1))
CHUNK = 250_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per window")
    parser.add_argument("--evidently-python", type=Path, help="python of the Evidently venv")
    parser.add_argument("--workdir", type=Path, help="keep the database here (default: temp)")
    parser.add_argument("--side", choices=("driftwatch", "evidently"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side == "driftwatch":
        print(json.dumps(_driftwatch_side(args.db)))
        return 0
    if args.side == "evidently":
        print(json.dumps(_evidently_side(args.db)))
        return 0
    with tempfile.TemporaryDirectory(prefix="driftwatch-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        db = workdir / "bench.duckdb"
        if db.exists():
            print(f"reusing {db}", file=sys.stderr)
        else:
            started = time.perf_counter()
            generate(db, args.rows)
            print(f"generated {2 * args.rows:,} rows in {time.perf_counter() - started:.1f} s")
        ours = _child(Path(sys.executable), "driftwatch", db)
        _show("driftwatch", ours)
        if args.evidently_python is None:
            print("no --evidently-python given: Evidently not run")
            return 0
        theirs = _child(args.evidently_python, "evidently", db)
        _show("evidently", theirs)
        print(
            f"time:   Evidently {theirs['run_s']:.2f} s run (+{theirs['load_s']:.2f} s loading) vs "
            f"Driftwatch {ours['run_s']:.2f} s → {theirs['run_s'] / ours['run_s']:.1f}× faster "
            f"({(theirs['run_s'] + theirs['load_s']) / ours['run_s']:.1f}× counting Evidently's "
            f"loading)"
        )
        print(
            f"memory: Evidently peak {theirs['peak_mb']:.0f} MB vs Driftwatch {ours['peak_mb']:.0f}"
            f" MB → {ours['peak_mb'] / theirs['peak_mb']:.2f} of Evidently's (growth during the "
            f"run: {theirs['growth_mb']:.0f} MB vs {ours['growth_mb']:.0f} MB → "
            f"{ours['growth_mb'] / theirs['growth_mb']:.2f})"
        )
    return 0


def generate(db: Path, rows: int, seed: int = 0) -> None:
    """Write ``rows`` reference and ``rows`` current records (some columns drift)."""
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import pandas as pd

    from monitoring.schema import ModelSpec, ReferenceWindow
    from monitoring.store.connection import Store
    from monitoring.store.ingest import validate_records

    spec = ModelSpec(
        name=MODEL,
        task="binary",
        timestamp="ts",
        prediction=PREDICTION,
        numeric_features=NUMERIC,
        categorical_features=CATEGORICAL,
        positive_label="1",
        reference=ReferenceWindow(*REFERENCE),
    )
    store = Store(db)
    rng = np.random.default_rng(seed)
    for current, (start, end) in ((False, REFERENCE), (True, CURRENT)):
        step = (end - start).total_seconds() / rows
        for first in range(0, rows, CHUNK):
            n = min(CHUNK, rows - first)
            frame: dict[str, Any] = {
                "ts": pd.Timestamp(start) + pd.to_timedelta((np.arange(n) + first) * step, "s")
            }
            for i, column in enumerate(NUMERIC):
                # Columns 0–2: a real shift; 3–5: a tiny, significant one; the rest: none.
                shift = (0.3 if i < 3 else 0.02 if i < 6 else 0.0) if current else 0.0
                values = rng.normal(shift, 1.0, n) if i % 2 else rng.gamma(2.0, 1.0 + shift, n)
                values[rng.random(n) < 0.01] = np.nan  # 1 % missing
                frame[column] = values
            for j, column in enumerate(CATEGORICAL):
                levels = np.array([f"level_{k}" for k in range(4 + 6 * j)], dtype=object)
                weights = np.linspace(1.0, 2.0 if current and j < 2 else 1.0, len(levels))
                frame[column] = levels[rng.choice(len(levels), n, p=weights / weights.sum())]
            frame[PREDICTION] = np.where(rng.random(n) < (0.35 if current else 0.3), "1", "0")
            store.append(spec, validate_records(pd.DataFrame(frame), spec, "bench"), "bench")


def _driftwatch_side(db: Path) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    import alibi_detect.cd  # noqa: F401  (import cost is not part of the run)

    from monitoring.drift.engine import run_drift
    from monitoring.store.connection import Store

    baseline = _reset_peak()
    started = time.perf_counter()
    report = run_drift(Store(db), MODEL, current=CURRENT, reference=REFERENCE, use_stored=False)
    elapsed = time.perf_counter() - started
    assert all(c.status == "tested" for c in report.columns)
    return {
        "run_s": elapsed,
        "load_s": 0.0,
        **_memory(baseline),
        "drifted": len(report.verdict.drifted_columns),
        "columns": len(report.columns),
    }


def _evidently_side(db: Path) -> dict[str, float]:
    import duckdb
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    baseline = _reset_peak()
    started = time.perf_counter()
    columns = ", ".join(f'"{c}"' for c in (*NUMERIC, *CATEGORICAL, PREDICTION))
    with duckdb.connect(str(db), read_only=True) as con:
        frames = [
            con.execute(
                f'SELECT {columns} FROM "records:{MODEL}" WHERE ts >= ? AND ts < ?', list(window)
            ).df()
            for window in (REFERENCE, CURRENT)
        ]
    loaded = time.perf_counter()
    definition = DataDefinition(
        numerical_columns=list(NUMERIC), categorical_columns=[*CATEGORICAL, PREDICTION]
    )
    reference, current = (Dataset.from_pandas(f, data_definition=definition) for f in frames)
    snapshot = Report([DataDriftPreset()]).run(current, reference)
    result = snapshot.dict()
    elapsed = time.perf_counter() - loaded
    drifted = result["metrics"][0]["value"]["count"]
    return {
        "run_s": elapsed,
        "load_s": loaded - started,
        **_memory(baseline),
        "drifted": drifted,
        "columns": len(frames[0].columns),
    }


def _reset_peak() -> float:
    """Reset the kernel's peak-RSS mark to the current RSS; return the current RSS in MB."""
    # Not Linux or not allowed: the peak then covers the imports too.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def _memory(baseline: float) -> dict[str, float]:
    peak = _status_mb("VmHWM")
    lifetime = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"peak_mb": peak, "growth_mb": peak - baseline, "lifetime_peak_mb": lifetime}


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(python: Path, side: str, db: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [str(python), __file__, "--side", side, "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _show(side: str, r: dict[str, Any]) -> None:
    print(
        f"{side:10}  run {r['run_s']:7.2f} s  load {r['load_s']:5.2f} s  "
        f"peak {r['peak_mb']:6.0f} MB (growth {r['growth_mb']:5.0f} MB, process lifetime "
        f"{r['lifetime_peak_mb']:.0f} MB)  {r['drifted']:.0f} of {r['columns']} columns drifted"
    )


if __name__ == "__main__":
    sys.exit(main())
