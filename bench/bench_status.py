"""Benchmark: the Overview's status lines, against the models table it had before.

On a copy of the demo database (``--db PATH``, else the demo built into a
temporary directory), in one process:

- **baseline** — ``all_overviews`` (one scan per model: rows, range, labels),
  what the Overview computed before it had status lines;
- **first** — :func:`monitoring.report.status.model_status` for every model,
  once: on a freshly built demo nothing is stored yet, so the last weeks are
  judged and stored (calibration included) and the alert metric's band
  computed (a ``--db`` that already holds the Timeline's weeks reads them back);
- **stored** — the same again, the windows read back: what a fresh server pays
  once per model and data version before the app's cache holds the answer.

Each measurement is the median of ``--repeat`` runs and is printed with its
ratio to the baseline. Target: stored ≤ 2 s for all models together (the
Overview's first paint on a server that has seen the data before); the app
then serves the status from ``st.cache_data`` until the next import. Run from
the repository root: ``python bench/bench_status.py [--db PATH] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitoring.demo import build_demo  # noqa: E402
from monitoring.report.status import model_status  # noqa: E402
from monitoring.store.connection import Store  # noqa: E402
from monitoring.store.overview import all_overviews  # noqa: E402

TARGET_STORED = 2.0


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a demo database to copy (default: build one)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.duckdb"
        if args.db:
            shutil.copy(args.db, path)
        else:
            build_demo(path)
        store = Store(path)
        models = store.models()

        def statuses() -> None:
            for model in models:
                model_status(store, model)

        baseline = median_seconds(lambda: all_overviews(store), args.repeat)
        started = time.perf_counter()
        statuses()
        first = time.perf_counter() - started
        stored = median_seconds(statuses, args.repeat)
    print(f"models: {len(models)}; medians of {args.repeat} runs")
    print(f"baseline  all_overviews           {baseline:6.2f} s")
    print(f"first     status, first call      {first:6.2f} s  ({first / baseline:5.1f}× baseline)")
    verdict = "ok" if stored <= TARGET_STORED else "MISSED"
    print(
        f"stored    status, windows stored  {stored:6.2f} s  ({stored / baseline:5.1f}× baseline)"
        f"  target ≤ {TARGET_STORED:g} s: {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
