"""The at-a-glance facts about each monitored model, for the Overview page and the CLI."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from monitoring.schema import ModelSpec
from monitoring.store.connection import ModelHandle, Store
from monitoring.timeutil import range_label

_WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class ModelOverview:
    """One model's volume, time range, reference and label coverage.

    ``latest_week_rows`` counts the seven days up to the newest record;
    ``reference_weekly_rows`` is the reference window's row count per seven days,
    so the two compare directly whatever the reference's length.
    """

    spec: ModelSpec
    rows: int
    first: dt.datetime | None
    last: dt.datetime | None
    labelled: int
    reference_rows: int
    latest_week_rows: int

    @property
    def label_coverage(self) -> float | None:
        """Share of rows whose label has arrived (``None`` without rows or a target)."""
        return self.labelled / self.rows if self.rows and self.spec.target else None

    @property
    def reference_weekly_rows(self) -> float:
        ref = self.spec.reference
        return self.reference_rows / ((ref.end - ref.start) / _WEEK)

    @property
    def latest_week_ratio(self) -> float | None:
        """Latest week's volume over the reference's weekly volume."""
        weekly = self.reference_weekly_rows
        return self.latest_week_rows / weekly if weekly else None

    def as_row(self) -> dict[str, object]:
        """Plain values for a table, keyed by human-readable names."""
        return {
            "model": self.spec.name,
            "rows": self.rows,
            "time range": range_label(self.first, self.last),
            "reference": self.spec.reference.label(),
            "labelled": self.label_coverage,
            "latest week vs reference": _versus(self.latest_week_rows, self.reference_weekly_rows),
        }


def model_overview(model: ModelHandle) -> ModelOverview:
    """Compute a model's overview with one scan of its table."""
    spec, ts, table = model.spec, model.timestamp, model.table
    sql = f"""
        SELECT count(*) AS n, min({ts}) AS first, max({ts}) AS last, {model.labelled()} AS k,
               count(*) FILTER (WHERE {ts} >= $ref_start AND {ts} < $ref_end) AS ref_n,
               (SELECT count(*) FROM {table}
                WHERE {ts} > (SELECT max({ts}) FROM {table}) - INTERVAL 7 DAY) AS week_n
        FROM {table}
    """
    bounds = {"ref_start": spec.reference.start, "ref_end": spec.reference.end}
    row = model.store.query(sql, bounds).iloc[0]
    rows = int(row["n"])
    return ModelOverview(
        spec=spec,
        rows=rows,
        first=row["first"].to_pydatetime() if rows else None,
        last=row["last"].to_pydatetime() if rows else None,
        labelled=int(row["k"]) if rows else 0,
        reference_rows=int(row["ref_n"]),
        latest_week_rows=int(row["week_n"]),
    )


def overview_table(overviews: list[ModelOverview]) -> pd.DataFrame:
    """One row per model (see :meth:`ModelOverview.as_row`)."""
    return pd.DataFrame([o.as_row() for o in overviews])


def all_overviews(store: Store) -> list[ModelOverview]:
    """Overviews of every registered model, by name."""
    return [model_overview(store.model(name)) for name in store.models()]


def _versus(latest: int, reference_weekly: float) -> str:
    if not reference_weekly:
        return f"{latest:,} (no reference rows)"
    return f"{latest:,} vs {reference_weekly:,.0f} ({latest / reference_weekly - 1:+.0%})"
