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
    """One row per column, the largest effect first (untested columns last).

    ``drifted`` is ``None`` for a column that could not be tested; ``note``
    says why, or which test ran and why.
    """
    rows = [
        {
            "column": c.column,
            "drifted": c.drifted,
            "test": c.test or "—",
            "p-value": c.p_value,
            "effect": c.effect,
            "measure": EFFECT_LABELS.get(c.effect_name, c.effect_name),
            "statistic": c.statistic,
            "PSI": c.effects.psi,
            "missing ref": c.missing_reference,
            "missing cur": c.missing_current,
            "unseen": c.unseen_share,
            "n ref": c.n_reference,
            "n cur": c.n_current,
            "kind": c.kind,
            "note": c.note,
        }
        for c in columns
    ]
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    numbers = ["p-value", "effect", "statistic", "PSI", "missing ref", "missing cur", "unseen"]
    table[numbers] = table[numbers].astype("float64")  # None shows as blank, not "None"
    order = table["effect"].fillna(-1.0).sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)
