"""Checking an uploaded data slice against a model's spec, before anything is written.

A slice is a file of records an analyst wants to compare with the reference:
a batch from another system, a candidate training set, a partner's data. It
is read by :func:`monitoring.store.files.read_records` (the import's limits) and
typed column by column with :func:`monitoring.store.values.convert_column`
(the import's own rules, binary labels included), but
the slice rules are looser than an import's:

- the **timestamp** may be missing: the slice then has no time axis (its
  rows are stored with a NULL time). If the column is there, every value must
  be a date, as on import;
- the **target, prediction, scores and id** may be missing (said in a note);
  the prediction's drift is then simply not tested;
- a missing **feature** is a problem unless the caller passes
  ``allow_missing_features=True`` (the user confirmed comparing on the rest);
- a spec column that is present but empty in every row is a problem (drop the
  column instead, so that the check can say what is compared); an empty target
  is only a note, since labels arrive late;
- extra columns are ignored and listed; cells are kept as text data, so a
  cell starting with ``=``, ``+``, ``-`` or ``@`` is a category like any other.

Every problem of a file is collected at once. Row numbers count data rows
from 1 (the header is not a row).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from monitoring.errors import ValidationError
from monitoring.schema import ModelSpec
from monitoring.store.files import MAX_FILE_BYTES, RecordFile
from monitoring.store.ingest import convert_column, label_problems, read_records, record_notes

DEFAULT_MAX_BYTES = MAX_FILE_BYTES  # the page's default `server.maxUploadSize` (200 MB)
OPTIONAL_ROLES = frozenset({"timestamp", "id", "prediction", "score", "target"})
_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or an Excel workbook)",
}


@dataclass(frozen=True)
class ColumnProblem:
    """One column of the file that cannot be used as the spec says."""

    column: str
    role: str
    problem: str


@dataclass(frozen=True)
class SliceCheck:
    """What checking one file against a model's spec found.

    ``file_problems`` stop the file being read at all (empty, not CSV/Parquet,
    bad encoding, ragged rows, duplicated names, too large);
    ``column_problems`` are per column (wrong types with example rows,
    unparseable timestamps, empty columns, missing features). The slice can
    be compared and saved only when both are empty (:attr:`ok`). ``records``
    then holds every spec column typed for the store, missing ones as NULL.
    ``duplicate_of`` is filled by :mod:`monitoring.slices` when a saved slice
    has the same content.
    """

    file_name: str
    sha256: str
    size: int
    rows: int = 0
    matched: tuple[str, ...] = ()
    missing: tuple[tuple[str, str], ...] = ()
    extra: tuple[str, ...] = ()
    file_problems: tuple[str, ...] = ()
    column_problems: tuple[ColumnProblem, ...] = ()
    notes: tuple[str, ...] = ()
    duplicate_of: str | None = None
    records: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        """True when the slice can be compared (and saved)."""
        return not self.file_problems and not self.column_problems

    @property
    def missing_features(self) -> tuple[str, ...]:
        """Features of the spec that the file lacks."""
        return tuple(c for c, role in self.missing if role in ("numeric", "categorical"))

    @property
    def has_time_axis(self) -> bool:
        """False when the file has no timestamp column."""
        return not any(role == "timestamp" for _, role in self.missing)

    def summary(self) -> str:
        """One line for people: rows, matched, missing and extra columns, problems."""
        if self.file_problems:
            return f"{self.file_name}: cannot be read — {'; '.join(self.file_problems)}"
        parts = [
            f"{self.rows:,} rows",
            f"{len(self.matched)} column(s) matched",
            f"{len(self.missing)} missing",
            f"{len(self.extra)} extra (ignored)",
        ]
        verdict = (
            "ready to compare"
            if self.ok
            else f"{len(self.column_problems)} problem(s), cannot be compared"
        )
        return f"{self.file_name}: {', '.join(parts)} — {verdict}"

    def problems_table(self) -> pd.DataFrame:
        """One row per problem: column (blank for the whole file), role and what is wrong."""
        rows = [("(file)", "", p) for p in self.file_problems]
        rows += [(p.column, p.role, p.problem) for p in self.column_problems]
        return pd.DataFrame(rows, columns=["column", "role", "problem"])

    def messages(self) -> list[str]:
        """Every problem as one line naming the file and column (for errors and the CLI)."""
        lines = [f"{self.file_name}: {p}" for p in self.file_problems]
        lines += [f"{self.file_name}: {p.problem}" for p in self.column_problems]
        return lines


def check_slice(
    file: RecordFile,
    spec: ModelSpec,
    allow_missing_features: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    labels: tuple[str, ...] = (),
) -> SliceCheck:
    """Read ``file`` and check it against ``spec`` as a slice (see the module docstring).

    ``labels``: a binary model's stored labels (``ingest.stored_labels``).
    Never raises for a bad file: what is wrong is in the returned check.
    """
    base = SliceCheck(file.name, file.sha256, len(file.content))
    problem = _refuse_early(file)
    if problem:
        return replace(base, file_problems=(problem,))
    try:
        frame = read_records(file, max_bytes)
    except ValidationError as exc:
        return replace(base, file_problems=tuple(exc.problems))
    return _check_frame(base, frame, spec, allow_missing_features, labels)


def _refuse_early(file: RecordFile) -> str | None:
    """A known binary signature in a file named CSV: said before parsing it.

    Size, emptiness, file type, encoding and NUL bytes are the reader's checks
    (:func:`~monitoring.store.files.read_records`), the same as on import.
    """
    if not file.name.lower().endswith((".csv", ".txt")):
        return None
    head = file.content[:16]
    for magic, kind in _SIGNATURES.items():
        if head.startswith(magic):
            return f"not a CSV file: its content is {kind}"
    return None


def _check_frame(
    base: SliceCheck,
    frame: pd.DataFrame,
    spec: ModelSpec,
    allow_missing_features: bool,
    labels: tuple[str, ...],
) -> SliceCheck:
    roles = spec.columns()
    present = [str(c) for c in frame.columns]
    matched = tuple(c for c in roles if c in present)
    missing = tuple((c, role) for c, role in roles.items() if c not in present)
    extra = tuple(c for c in present if c not in roles)
    problems: list[ColumnProblem] = []
    notes: list[str] = []
    typed: dict[str, pd.Series] = {}
    for column, role in roles.items():
        if column not in present:
            typed[column] = _nulls(spec, column, len(frame))
            continue
        values = frame[column].reset_index(drop=True)
        if values.isna().all():
            if role != "target":  # an empty target is a note of record_notes
                problems.append(
                    ColumnProblem(
                        column,
                        role,
                        f"column {column!r} ({role}) is empty in every row; remove it from "
                        f"the file to compare without it",
                    )
                )
            typed[column] = _nulls(spec, column, len(frame))
            continue
        typed[column], message = convert_column(values, column, spec)
        if message:
            problems.append(ColumnProblem(column, role, message))
    for column, role in missing:
        if role in OPTIONAL_ROLES:
            notes.append(_optional_note(column, role))
        elif allow_missing_features:
            notes.append(f"feature {column!r} is not in the file: compared on the other features")
        else:
            problems.append(
                ColumnProblem(
                    column,
                    role,
                    f"feature {column!r} ({role}) is missing; confirm to compare on the "
                    f"other features",
                )
            )
    if extra:
        notes.append(f"extra column(s) ignored: {', '.join(repr(c) for c in extra)}")
    present_typed = {c: v for c, v in typed.items() if c in present}
    if not problems:
        problems += [ColumnProblem(*p) for p in label_problems(present_typed, spec, labels)]
    notes += record_notes(pd.DataFrame(present_typed), spec)
    checked = replace(
        base,
        rows=len(frame),
        matched=matched,
        missing=missing,
        extra=extra,
        column_problems=tuple(problems),
        notes=tuple(notes),
    )
    if not checked.ok:
        return checked
    return replace(checked, records=pd.DataFrame(typed)[list(roles)])


def _optional_note(column: str, role: str) -> str:
    if role == "timestamp":
        return f"no timestamp column {column!r}: the slice has no time axis"
    if role == "prediction":
        return f"no prediction column {column!r}: the model's output drift is not tested"
    return f"optional {role} column {column!r} is not in the file"


def _nulls(spec: ModelSpec, column: str, rows: int) -> pd.Series:
    sql_type = spec.sql_type(column)
    if sql_type == "TIMESTAMP":
        return pd.Series(pd.NaT, index=range(rows), dtype="datetime64[us]")
    if sql_type == "DOUBLE":
        return pd.Series(float("nan"), index=range(rows), dtype="float64")
    return pd.Series([None] * rows, dtype="object")
