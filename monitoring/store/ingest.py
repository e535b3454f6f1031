"""Reading record files and validating records against a model's spec.

Nothing is written until every check has passed; every problem found is
reported at once, naming the file, the column and example rows, so a user can
fix a file in one go. Row numbers count data rows from 1 (the header is not a
row).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from monitoring.access import Actor, local_process
from monitoring.errors import ValidationError
from monitoring.schema import ModelSpec
from monitoring.store.connection import ImportResult, Store, default_db_path

# Cells that mean "no value" in a text file, compared case-insensitively after stripping.
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "<na>", "nat"})
_EXAMPLES = 3


@dataclass(frozen=True)
class RecordFile:
    """A file's raw contents: a name for messages and its bytes."""

    name: str
    content: bytes

    @classmethod
    def from_path(cls, path: str | Path) -> RecordFile:
        path = Path(path)
        try:
            return cls(str(path), path.read_bytes())
        except OSError as exc:
            raise ValidationError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def read_records(file: RecordFile, max_text_bytes: int | None = None) -> pd.DataFrame:
    """Parse a CSV (optionally ``.gz``) or Parquet file into a DataFrame.

    CSV cells are kept as text (``None`` for missing cells) so that validation
    can quote the exact value that failed; Parquet keeps its own types.
    ``max_text_bytes`` refuses a ``.csv.gz`` whose text is larger (a few
    megabytes of gzip can hold gigabytes of text); ``None``: no limit.
    """
    name = file.name.lower()
    if not file.content:
        raise ValidationError(file.name, ["the file is empty"])
    if name.endswith(".parquet") or name.endswith(".pq"):
        frame = _read_parquet(file)
    elif name.endswith(".csv") or name.endswith(".csv.gz") or name.endswith(".txt"):
        frame = _read_csv(file, _csv_text(file, max_text_bytes))
    else:
        raise ValidationError(file.name, ["unsupported file type: use .csv, .csv.gz or .parquet"])
    if frame.empty:
        raise ValidationError(file.name, ["the file has a header but no rows"])
    return frame


def _csv_text(file: RecordFile, max_bytes: int | None) -> bytes:
    """The CSV's bytes, decompressed for ``.gz`` without ever holding more than ``max_bytes``."""
    if not file.name.lower().endswith(".gz"):
        return file.content
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(file.content)) as stream:
            text = stream.read() if max_bytes is None else stream.read(max_bytes + 1)
    except (OSError, EOFError) as exc:
        raise ValidationError(file.name, [f"not a readable CSV file: {exc}".strip()]) from exc
    if max_bytes is not None and len(text) > max_bytes:
        raise ValidationError(
            file.name,
            [
                f"the file decompresses to more than {max_bytes / 2**20:,.0f} MB of text, "
                f"the limit for an uncompressed file"
            ],
        )
    return text


def _read_csv(file: RecordFile, text: bytes) -> pd.DataFrame:
    try:
        raw = pd.read_csv(
            io.BytesIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError as exc:
        raise ValidationError(file.name, ["the file is empty"]) from exc
    except UnicodeDecodeError as exc:
        raise ValidationError(
            file.name, [f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"]
        ) from exc
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        problem = (
            f"not a readable CSV file: ragged rows: line {found[2]} has {found[3]} fields, "
            f"earlier lines have {found[1]}"
            if found
            else f"not a readable CSV file: {exc}".strip()
        )
        raise ValidationError(file.name, [problem]) from exc
    except (OSError, EOFError) as exc:
        raise ValidationError(file.name, [f"not a readable CSV file: {exc}".strip()]) from exc
    short = _short_lines(text, raw.shape[1])
    if short:
        raise ValidationError(
            file.name,
            [
                f"not a readable CSV file: ragged rows: {len(short)} line(s) have fewer than "
                f"{raw.shape[1]} fields, e.g. "
                + ", ".join(f"line {line} has {width}" for line, width in short[:_EXAMPLES])
            ],
        )
    header = [str(h).strip() for h in raw.iloc[0]]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ValidationError(file.name, [f"duplicated column name(s): {duplicated}"])
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = header
    return frame.mask(frame.apply(lambda s: s.str.strip().str.lower().isin(MISSING_TOKENS)))


def _short_lines(text: bytes, width: int) -> list[tuple[int, int]]:
    """(line, fields) of every non-blank line with fewer than ``width`` fields.

    pandas pads short lines with empty cells, so they are counted here with the
    ``csv`` module (line numbers count the header as line 1).
    """
    reader = csv.reader(io.StringIO(text.decode("utf-8-sig")))
    return [(reader.line_num, len(row)) for row in reader if row and len(row) < width]


def _read_parquet(file: RecordFile) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(file.content))
    except Exception as exc:  # pyarrow raises many unrelated types for a bad file
        raise ValidationError(file.name, [f"not a readable Parquet file: {exc}"]) from exc
    names = table.column_names
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValidationError(file.name, [f"duplicated column name(s): {duplicated}"])
    return table.to_pandas()


def validate_records(frame: pd.DataFrame, spec: ModelSpec, source: str) -> pd.DataFrame:
    """Check ``frame`` against ``spec`` and return it typed for the store.

    The result has exactly the spec's columns, in table order: numbers as
    float64, text as object (``None`` for missing), the timestamp as naive
    datetime64 (aware times converted to UTC). A missing target column is
    allowed (labels arrive later) and filled with NULL.

    Raises
    ------
    ValidationError
        Listing every problem: missing columns, values of the wrong type, bad
        timestamps, an empty frame.
    """
    if len(frame) == 0:
        raise ValidationError(source, ["no rows"])
    problems: list[str] = []
    present = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in present if present.count(c) > 1})
    if duplicated:
        raise ValidationError(source, [f"duplicated column name(s): {duplicated}"])
    missing = [
        f"{c!r} ({role})"
        for c, role in spec.columns().items()
        if c not in frame.columns and role != "target"
    ]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}; the file has {_listing(present)}")
    typed: dict[str, pd.Series] = {}
    for column, role in spec.columns().items():
        if column not in frame.columns:
            if role == "target":
                typed[column] = pd.Series([None] * len(frame), dtype=_target_dtype(spec))
            continue
        typed[column], problem = convert_column(frame[column], column, spec)
        if problem:
            problems.append(problem)
    if problems:
        raise ValidationError(source, problems)
    return pd.DataFrame(typed)


def convert_column(values: pd.Series, column: str, spec: ModelSpec) -> tuple[pd.Series, str | None]:
    """Type one column of the spec as the store keeps it.

    Returns the typed values (index reset) and ``None``, or a message naming
    the column, how many values are wrong and example rows with their values.
    """
    values = values.reset_index(drop=True)
    sql_type = spec.sql_type(column)
    if sql_type == "TIMESTAMP":
        return _as_timestamps(values, column)
    if sql_type == "DOUBLE":
        return _as_numbers(values, column, probability=spec.columns()[column] == "score")
    return _as_text(values), None


def import_file(
    store: Store, path: str | Path, spec: ModelSpec, actor: Actor | None = None
) -> ImportResult:
    """Validate a CSV/Parquet file against ``spec`` and append it in one transaction.

    The audit log records the import under ``actor`` (default: this process's account).
    """
    file = RecordFile.from_path(path)
    frame = validate_records(read_records(file), spec, file.name)
    actor = actor or local_process()
    return store.append(spec, frame, source=file.name, content_hash=file.sha256, actor=actor)


def log_records(
    records: pd.DataFrame,
    model: str | ModelSpec,
    db: str | Path | None = None,
    source: str = "log_records",
) -> ImportResult:
    """Append a DataFrame of inference records to a model: the hook for pipelines.

    Parameters
    ----------
    records
        One row per prediction, with the spec's columns (extra columns are ignored).
    model
        The name of a registered model, or a spec (which registers the model on
        first use).
    db
        The database file; by default ``DRIFTWATCH_DB`` or ``data/driftwatch.duckdb``.
    source
        What the import log records as the origin of these rows.
    """
    store = Store(db if db is not None else default_db_path())
    spec = model if isinstance(model, ModelSpec) else store.model(model).spec
    frame = validate_records(records, spec, source)
    return store.append(spec, frame, source=source, actor=local_process("log_records"))


def _as_timestamps(values: pd.Series, column: str) -> tuple[pd.Series, str | None]:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        text = values.astype("string")
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        retry = parsed.isna() & text.notna()
        if retry.any():
            parsed[retry] = pd.to_datetime(text[retry], errors="coerce", utc=True, format="mixed")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    missing = parsed.isna()
    if missing.any():
        return parsed, (
            f"column {column!r} (timestamp): {int(missing.sum())} value(s) are missing or not "
            f"dates, e.g. {_examples(values, missing)}"
        )
    return parsed.astype("datetime64[us]"), None


def _as_numbers(values: pd.Series, column: str, probability: bool) -> tuple[pd.Series, str | None]:
    if pd.api.types.is_bool_dtype(values):
        values = values.astype("float64")
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = numbers.isna() & values.notna()
    if bad.any():
        return numbers, (
            f"column {column!r}: {int(bad.sum())} value(s) are not numbers, e.g. "
            f"{_examples(values, bad)}"
        )
    infinite = np.isinf(numbers)
    if infinite.any():
        return numbers, f"column {column!r}: infinite value(s), e.g. {_examples(values, infinite)}"
    if probability:
        outside = (numbers < 0) | (numbers > 1)
        if outside.any():
            return numbers, (
                f"column {column!r} (score): {int(outside.sum())} probability value(s) outside "
                f"[0, 1], e.g. {_examples(values, outside)}"
            )
    return numbers, None


def _as_text(values: pd.Series) -> pd.Series:
    """Text labels; integral floats (1.0 from a column with gaps) read as integers ('1')."""
    if pd.api.types.is_float_dtype(values):
        integral = values.dropna().eq(values.dropna().round()).all()
        values = values.astype("Int64") if integral else values
    text = values.astype("string")
    return text.astype(object).where(text.notna(), None)


def _target_dtype(spec: ModelSpec) -> str:
    return "float64" if spec.task == "regression" else "object"


def _examples(values: pd.Series, mask: pd.Series) -> str:
    rows = np.flatnonzero(mask.to_numpy())[:_EXAMPLES]
    return ", ".join(f"row {i + 1}: {values.iloc[i]!r}" for i in rows)


def _listing(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', …' if len(names) > limit else ''}]"
