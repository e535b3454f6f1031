"""Benchmark: build a 10-chart review pack (PNG charts, CSV, summary.md, report.html).

Builds the demo database in a temporary directory (or uses ``--db``), stores
the drift run first (the pack's cost is the export, not the statistics), then
times in this process:

- **cold**: the first pack, which also starts kaleido's Chromium;
- **warm**: the median of ``--repeat`` further packs, with the browser kept alive;
- **baseline**: exporting the same 10 figures with plotly's own ``fig.to_image``
  one by one in the same process, for scale.

Target: a 10-chart pack under 5 s. Run from the repository root::

    python bench/bench_pack.py [--db data/driftwatch.duckdb] [--formats png]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitoring.demo import CLASSIFIER, build_demo
from monitoring.drift.engine import run_drift
from monitoring.report.pack import pack_zip
from monitoring.report.review import drift_pack
from monitoring.store.connection import Store

CURRENT = (dt.datetime(2013, 7, 1), dt.datetime(2013, 8, 1))
CHARTS = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a Driftwatch database with the demo models")
    parser.add_argument("--formats", default="png", help="comma-separated chart formats")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    formats = tuple(args.formats.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "demo.duckdb"
        if not db.exists():
            build_demo(db)
        store = Store(db)
        run_drift(store, CLASSIFIER, CURRENT)  # stored: the pack only exports
        pack = drift_pack(store, CLASSIFIER, CURRENT)
        pack = type(pack)(pack.title, pack.context, pack.summary, pack.charts[:CHARTS], pack.tables)
        assert len(pack.charts) == CHARTS, f"the demo gave {len(pack.charts)} charts"
        started = time.perf_counter()
        size = len(pack_zip(pack, formats))
        cold = time.perf_counter() - started
        warm_runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            pack_zip(pack, formats)
            warm_runs.append(time.perf_counter() - started)
        warm = statistics.median(warm_runs)
        started = time.perf_counter()
        for chart in pack.charts:
            for fmt in formats:
                if fmt != "html":
                    chart.figure.to_image(format=fmt, scale=2)
        baseline = time.perf_counter() - started
    print(
        f"{CHARTS}-chart pack ({','.join(formats)}; {size / 1e6:.1f} MB): "
        f"cold {cold:.2f} s (incl. Chromium start), warm {warm:.2f} s "
        f"(median of {args.repeat}); plotly to_image one by one: {baseline:.2f} s "
        f"→ warm pack / baseline = {warm / baseline:.2f}"
    )
    print(f"target: under 5 s → {'met' if max(cold, warm) < 5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
