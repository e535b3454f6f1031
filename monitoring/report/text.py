"""How results read as text, the same on every page, in the CLI and in review packs."""

from __future__ import annotations

import re

from monitoring.drift.config import CORRECTION_LABELS
from monitoring.drift.report import DriftReport

VERDICT_WORDS: dict[bool | None, str] = {True: "drift", False: "no drift", None: "not tested"}


def verdict_word(drifted: bool | None, shout: bool = False) -> str:
    """``drift``, ``no drift`` or ``not tested`` (``DRIFT`` when ``shout``, for plain text)."""
    word = VERDICT_WORDS[drifted]
    return word.upper() if shout and drifted else word


def correction_label(correction: str) -> str:
    """The multiple-testing correction's name for people (``Benjamini–Hochberg FDR``)."""
    return CORRECTION_LABELS.get(correction, correction)


def p_text(value: float) -> str:
    """A p-value after ``p``: ``= 0.012``, or ``< 1e-300`` where it underflowed to zero."""
    return "< 1e-300" if value == 0 else f"= {value:.2g}"


def share(value: float | None, empty: str = "—") -> str:
    """A share as a percentage with one decimal (``12.5%``), ``empty`` for none."""
    return empty if value is None else f"{value:.1%}"


def slug(text: str, fallback: str = "chart") -> str:
    """``text`` reduced to letters, digits, ``.``, ``-`` and ``_``: safe as a file name."""
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or fallback


def threshold_text(report: DriftReport) -> str | None:
    """The drift rule in a few words, as a chart caption shows it (``None``: nothing tested)."""
    config, verdict = report.config, report.verdict
    if verdict.threshold is None:
        return None
    return (
        f"p < {verdict.threshold:.3g} ({correction_label(config.correction)}, "
        f"α = {config.p_threshold:g}) and effect ≥ {config.min_effect:g}"
    )
