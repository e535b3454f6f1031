"""Benchmark: the drift timeline against one grouped DuckDB query, stored reloads, and 10M rows.

Three measurements, each in a fresh subprocess (so peak memory is its own):

- **timeline vs baseline** — ``--rows`` records (default 1M) over 100 days
  (+ a 31-day reference) × 20 features (15 numeric, 5 categorical); daily
  windows, i.e. 100 windows. The baseline computes the same per-window
  aggregates (500-bin counts of every numeric feature, category counts of
  every categorical one) with one ``GROUP BY GROUPING SETS`` query; the
  timeline computes them, runs the tests and stores the result. Target: ≤ 2×.
- **stored load** — the same timeline asked again (read back). Target: < 0.3 s.
- **large** — ``--large-rows`` records (default 10M) over 2023 with daily
  windows, cold. Targets: < 15 s and < 2 GiB peak RSS.

Run from the repository root: ``python bench/bench_timeline.py``
(``--workdir DIR`` keeps and reuses the generated databases).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODEL = "bench"
NUMERIC = tuple(f"num_{i:02d}" for i in range(15))
CATEGORICAL = tuple(f"cat_{j}" for j in range(5))
REFERENCE = (dt.datetime(2023, 1, 1), dt.datetime(2023, 2, 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--large-rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side (median kept)")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(SIDES[args.side](args.db)))
        return 0
    with tempfile.TemporaryDirectory(prefix="driftwatch-timeline-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        small, large = work / "timeline_1m.duckdb", work / "timeline_10m.duckdb"
        _generate(small, args.rows, days=131)
        # Alternate the two sides and keep each one's median: the machine may be shared.
        runs = [(_child("baseline", small), _child("timeline", small)) for _ in range(args.repeat)]
        baseline = _median([r[0] for r in runs])
        timeline = _median([r[1] for r in runs])
        stored = _child("stored", small)
        print(f"baseline (one grouped query): {baseline['seconds']:.2f} s")
        print(
            f"timeline, cold: {timeline['seconds']:.2f} s for {timeline['windows']} windows "
            f"({timeline['seconds'] / baseline['seconds']:.2f}× the baseline)"
        )
        print(f"timeline, stored: {stored['seconds']:.3f} s")
        _generate(large, args.large_rows, days=365)
        big = _child("timeline", large)
        print(
            f"{args.large_rows:,} rows, {big['windows']} daily windows, cold: "
            f"{big['seconds']:.1f} s, peak RSS {big['peak_mib']:,.0f} MiB"
        )
    return 0


def _generate(db: Path, rows: int, days: int) -> None:
    """Records spread evenly over ``days`` days from 2023-01-01; shifts after the reference."""
    if db.exists():
        return
    import duckdb

    from monitoring.schema import ModelSpec, ReferenceWindow
    from monitoring.store.connection import Store

    spec = ModelSpec(
        name=MODEL, task="binary", timestamp="ts", prediction="pred",
        reference=ReferenceWindow(*REFERENCE), numeric_features=NUMERIC,
        categorical_features=CATEGORICAL,
    )  # fmt: skip
    started = time.perf_counter()
    Store(db).append(spec, _frame(spec, 0, 0), source="bench")  # registers the model
    step = days * 86400 / rows
    exponential = "-ln(random() + 1e-12)"
    normal = "sqrt(-2 * ln(random() + 1e-12)) * cos(6.283 * random())"
    numeric = ", ".join(
        f"CASE WHEN random() < 0.01 THEN NULL ELSE {exponential if i % 2 else normal}"
        f" * (1 + {i % 3} * (i > $ref)::INT * 0.05) + {i % 4} * (i > $ref)::INT * 0.1 END"
        for i in range(len(NUMERIC))
    )
    categorical = ", ".join(
        f"'c' || CAST(floor(pow(random(), 1 + {j} * 0.3 * (i > $ref)::INT) * {4 + 6 * j}) AS INT)"
        for j in range(len(CATEGORICAL))
    )
    con = duckdb.connect(str(db))
    con.execute(
        f"INSERT INTO \"records:{MODEL}\" SELECT TIMESTAMP '2023-01-01' + "
        f"to_microseconds(CAST(i * $step * 1e6 AS BIGINT)), {numeric}, {categorical}, "
        f"CAST((random() < 0.3)::INT AS VARCHAR), 1 FROM range($rows) t(i)",
        {"step": step, "rows": rows, "ref": int(31 * 86400 / step)},
    )
    con.execute(
        "UPDATE dw_imports SET row_count = $rows, ts_min = TIMESTAMP '2023-01-01', "
        "ts_max = TIMESTAMP '2023-01-01' + INTERVAL (CAST($days AS INTEGER)) DAY",
        {"rows": rows, "days": days},
    )
    con.close()
    print(f"generated {rows:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _frame(spec: Any, rows: int, seed: int) -> Any:
    import pandas as pd

    del seed
    return pd.DataFrame({c: pd.Series([], dtype=_dtype(spec, c)) for c in spec.columns()})[:rows]


def _dtype(spec: Any, column: str) -> str:
    kind = spec.sql_type(column)
    return {"TIMESTAMP": "datetime64[us]", "DOUBLE": "float64"}.get(kind, "object")


def _windows(db: Path) -> list[Any]:
    from monitoring.store.connection import Store
    from monitoring.store.windows import WindowPlan

    return WindowPlan("day", start=REFERENCE[1]).windows(Store(db).model(MODEL))


def _timeline(db: Path) -> dict[str, Any]:
    from monitoring.store.connection import Store
    from monitoring.timeline.engine import run_timeline

    windows = _windows(db)
    started = _reset_peak()
    result = run_timeline(Store(db), MODEL, windows, use_stored=False)
    return {**_elapsed(started), "windows": len(result.windows)}


def _stored(db: Path) -> dict[str, Any]:
    from monitoring.store.connection import Store
    from monitoring.timeline.engine import run_timeline

    windows = _windows(db)
    run_timeline(Store(db), MODEL, windows)  # make sure it is stored
    started = _reset_peak()
    result = run_timeline(Store(db), MODEL, windows)
    assert result.computed == 0
    return _elapsed(started)


def _baseline(db: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(db))
    windows = _windows(db)
    started = _reset_peak()
    bounds = con.execute(
        "SELECT " + ", ".join(f"min({c}), max({c})" for c in NUMERIC) + f' FROM "records:{MODEL}"'
    ).fetchall()[0]
    bins = [
        f"least(floor(({c} - {bounds[2 * i]}) / {(bounds[2 * i + 1] - bounds[2 * i]) / 500}), 499)"
        f" AS b{i}"
        for i, c in enumerate(NUMERIC)
    ]
    keys = [f"b{i}" for i in range(len(NUMERIC))] + list(CATEGORICAL)
    sets = ", ".join(f"(w, {k})" for k in keys)
    con.execute(
        f"SELECT w, {', '.join(keys)}, count(*) FROM (SELECT date_trunc('day', ts) AS w, "
        f'{", ".join(bins)}, {", ".join(CATEGORICAL)} FROM "records:{MODEL}" '
        f"WHERE ts >= $lo AND ts < $hi) GROUP BY GROUPING SETS ({sets})",
        {"lo": windows[0].start, "hi": windows[-1].end},
    ).fetchnumpy()
    return _elapsed(started)


def _reset_peak() -> float:
    with open("/proc/self/clear_refs", "w") as f:  # reset the RSS high-water mark
        f.write("5")
    return time.perf_counter()


def _elapsed(started: float) -> dict[str, Any]:
    peak = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1])
    return {"seconds": time.perf_counter() - started, "peak_mib": peak / 1024}


SIDES = {"timeline": _timeline, "stored": _stored, "baseline": _baseline}


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def _child(side: str, db: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--side", side, "--db", str(db)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
