"""Tables for people and spreadsheets: the drift table, and cells that must never run as formulas.

Every table the app shows or a pack writes goes through :func:`neutralise`:
a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is what Excel, LibreOffice and Sheets evaluate, so it gets a leading
apostrophe (the database keeps the value as it came).
"""

from __future__ import annotations

import pandas as pd

from monitoring.drift.report import EFFECT_LABELS, ColumnDrift

# A leading character that makes Excel, LibreOffice or Sheets evaluate a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells starting like a formula are prefixed with ``'``.

    Numbers stay numbers (``-3`` is a value, not a formula); only text cells
    (and column names) change, so ``=HYPERLINK(...)`` shows as text.
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(_neutral_cell)
    out.columns = [_neutral_cell(str(c)) for c in out.columns]
    return out


def _neutral_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def report_table(columns: tuple[ColumnDrift, ...]) -> pd.DataFrame:
    """One row per column, furthest beyond its usual limit first (untested columns last).

    ``drifted`` is ``None`` for a column that could not be tested; ``note``
    says why, or which test ran and why. ``score`` is the statistic the
    calibrated rule compares with ``usual limit`` (``× limit`` is their ratio);
    ``data quality`` names the shares beyond their usual limits.
    """
    rows = [
        {
            "column": c.column,
            "drifted": c.drifted,
            "score": c.score,
            "measure": c.score_name or "—",
            "usual limit": c.score_threshold,
            "× limit": c.excess,
            "p-value": c.p_value,
            "effect": c.effect,
            "effect measure": EFFECT_LABELS.get(c.effect_name, c.effect_name),
            "data quality": quality_text(c),
            "missing ref": c.missing_reference,
            "missing cur": c.missing_current,
            "unseen" if c.kind == "categorical" else "out of range": c.novel,
            "n ref": c.n_reference,
            "n cur": c.n_current,
            "test": c.test or "—",
            "PSI": c.effects.psi,
            "kind": c.kind,
            "note": c.note,
        }
        for c in columns
    ]
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    # Numeric and categorical columns name their "values the reference never holds" share
    # differently; one table holds both, so both columns exist (blank where they do not apply).
    for novel in ("unseen", "out of range"):
        if novel not in table:
            table[novel] = None
    numbers = ["score", "usual limit", "× limit", "p-value", "effect", "missing ref",
               "missing cur", "unseen", "out of range", "PSI"]  # fmt: skip
    table[numbers] = table[numbers].astype("float64")  # None shows as blank, not "None"
    rank = table["× limit"].fillna(table["effect"]).fillna(-1.0)
    order = rank.sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def quality_text(column: ColumnDrift) -> str:
    """The data-quality shares beyond their usual limits, e.g. ``missing 8.0% (usual ≤ 1.2%)``;
    empty when none is."""
    parts = []
    if column.quality:
        if _beyond(column.missing_current, column.missing_limit):
            parts.append(f"missing {_pct(column.missing_current)} "
                         f"(usual ≤ {_pct(column.missing_limit)})")  # fmt: skip
        if _beyond(column.novel, column.novel_limit):
            what = "unseen" if column.kind == "categorical" else "out of range"
            parts.append(f"{what} {_pct(column.novel)} (usual ≤ {_pct(column.novel_limit)})")
    return "; ".join(parts)


def _beyond(share: float | None, limit: float | None) -> bool:
    return share is not None and limit is not None and share > limit


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.1f}%"
