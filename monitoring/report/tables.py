"""Tables for people and spreadsheets: the drift table, and cells that must never run as formulas.

Every table the app shows or a pack writes goes through :func:`neutralise`:
a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is what Excel, LibreOffice and Sheets evaluate, so it gets a leading
apostrophe (the database keeps the value as it came).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from monitoring.drift.report import ColumnDrift
from monitoring.timeline.ranking import FeatureRank

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

    Each measure has its own column, blank where it does not apply: the
    calibrated statistic is ``KS D`` (numeric) or ``JS`` (Jensen–Shannon
    distance, categorical), ``usual limit`` its calibrated limit and
    ``× limit`` their ratio; ``W/σ`` is a numeric column's effect size (the
    Jensen–Shannon distance is a categorical column's). ``drifted`` is ``None``
    for a column that could not be tested; ``note`` says why, or which test
    ran. ``data quality`` names the shares beyond their usual limits. Numbers
    stay numbers (NaN where empty); :func:`for_people` formats them.
    """
    rows = [
        {
            "column": c.column,
            "drifted": c.drifted,
            "× limit": c.excess,
            "KS D": c.score if c.kind == "numeric" else None,
            "JS": c.score if c.kind == "categorical" else None,
            "usual limit": c.score_threshold,
            "p-value": c.p_value,
            "W/σ": c.effects.wasserstein_normed if c.kind == "numeric" else None,
            "PSI": c.effects.psi,
            "data quality": quality_text(c),
            "missing ref": c.missing_reference,
            "missing cur": c.missing_current,
            "unseen" if c.kind == "categorical" else "out of range": c.novel,
            "n ref": c.n_reference,
            "n cur": c.n_current,
            "test": c.test or "",
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
    table = table[ORDER]
    table[NUMBERS] = table[NUMBERS].astype("float64")  # None is NaN: blank, never "None"
    effect = table["W/σ"].fillna(table["JS"])
    rank = table["× limit"].fillna(effect).fillna(-1.0)
    order = rank.sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


ORDER = ["column", "drifted", "× limit", "KS D", "JS", "usual limit", "p-value", "W/σ", "PSI",
         "data quality", "missing ref", "missing cur", "unseen", "out of range", "n ref", "n cur",
         "test", "kind", "note"]  # fmt: skip
NUMBERS = ["× limit", "KS D", "JS", "usual limit", "p-value", "W/σ", "PSI", "missing ref",
           "missing cur", "unseen", "out of range"]  # fmt: skip
SHARES = ("missing ref", "missing cur", "unseen", "out of range")


def p_cell(value: float) -> str:
    """A p-value in a table: ``< 1e-300`` where it underflowed to zero, else 2 significant
    digits (``3.2e-05``, ``0.41``); blank for none."""
    if value != value:  # NaN: no test ran
        return ""
    return "< 1e-300" if value == 0 else f"{value:.2g}"


def cell_formats() -> dict[str, Callable[[float], str]]:
    """How each number column of :func:`report_table` reads (blank for NaN)."""

    def fixed(digits: int, suffix: str = "") -> Callable[[float], str]:
        return lambda v: "" if v != v else f"{v:.{digits}f}{suffix}"

    def share(v: float) -> str:
        return "" if v != v else f"{100 * v:.1f}%"

    formats: dict[str, Callable[[float], str]] = {
        "× limit": fixed(2, "×"),
        "KS D": fixed(3),
        "JS": fixed(3),
        "usual limit": fixed(3),
        "p-value": p_cell,
        "W/σ": fixed(2),
        "PSI": fixed(3),
    }
    formats.update({s: share for s in SHARES})
    return formats


def for_people(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`report_table` with its numbers as text, as a page or ``report.html`` shows them:
    p-values ``< 1e-300`` rather than ``0``, shares in percent, blanks for none."""
    out = table.copy()
    for name, form in cell_formats().items():
        if name in out:
            out[name] = out[name].map(form)
    for name in ("n ref", "n cur"):
        if name in out:
            out[name] = out[name].map(lambda n: f"{n:,}")
    if "drifted" in out:
        out["drifted"] = out["drifted"].map({True: "yes", False: "no"}).fillna("")
    return out


RHO = "ρ with the metric's change"


def ranking_table(ranks: Sequence[FeatureRank], metric: str | None) -> pd.DataFrame:
    """The features in ``ranks``' order: drifted windows, largest excess and, with ``metric``,
    Spearman's ρ with its change and that correlation's p-value (blank without)."""
    return pd.DataFrame(
        {
            "feature": [r.feature for r in ranks],
            "drifted windows": [r.drifted_windows for r in ranks],
            "largest × limit": [r.excess for r in ranks],
            RHO: [r.correlation for r in ranks],
            "p (ρ)": [r.p_value for r in ranks],
        }
    ).astype({"largest × limit": "float64", RHO: "float64", "p (ρ)": "float64"})


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
