"""Reading record files: CSV (also ``.csv.gz``) and Parquet, within limits, or a clear refusal.

The same reader serves ``import``, the upload page and ``compare``, so a file
is held to the same limits on every path: at most :data:`MAX_FILE_BYTES` of
file and of decompressed text (or of Parquet data), UTF-8 text without NUL
bytes (a UTF-16 or UTF-32 file is named as such), and no cell longer than
:data:`MAX_CELL_CHARS`. Every refusal is a :class:`ValidationError` naming
the file and, where there is one, the line.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from monitoring.errors import ValidationError

if TYPE_CHECKING:
    import pyarrow.parquet as pq

# The upload page's default `server.maxUploadSize` (200 MB); import and compare default to it.
MAX_FILE_BYTES = 200 * 1024 * 1024
# Python's csv module refuses longer fields; no feature value needs more.
MAX_CELL_CHARS = 128 * 1024
# Cells that mean "no value" in a text file, compared case-insensitively after stripping.
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "<na>", "nat"})
# Rows per batch of a streamed import: a few tens of MB of Arrow data at a time.
BATCH_ROWS = 262_144
_HASH_BLOCK = 4 * 1024 * 1024
_EXAMPLES = 3
_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "UTF-32 (little-endian)"),
    (codecs.BOM_UTF32_BE, "UTF-32 (big-endian)"),
    (codecs.BOM_UTF16_LE, "UTF-16 (little-endian)"),
    (codecs.BOM_UTF16_BE, "UTF-16 (big-endian)"),
)


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


class RecordBatches:
    """A record file read in batches of Arrow rows, within the limits of :func:`read_records`.

    A Parquet file is streamed from disk, one batch at a time, so memory
    stays flat in the file's size; a CSV file is parsed whole by
    :func:`read_records` (its size is bounded by the limit) and handed out
    in slices. :meth:`batches` can be called again to re-read the file.
    Open with :func:`open_batches`.
    """

    def __init__(
        self,
        name: str,
        sha256: str,
        columns: list[str],
        parquet: pq.ParquetFile | None = None,
        frame: pd.DataFrame | None = None,
    ) -> None:
        self.name = name
        self.sha256 = sha256
        self.columns = columns
        self._parquet = parquet
        self._frame = frame

    @property
    def parquet_path(self) -> Path | None:
        """The Parquet file on disk, for DuckDB's own reader; ``None`` for a CSV file."""
        return Path(self.name) if self._parquet is not None else None

    def arrow_types(self) -> dict[str, pa.DataType]:
        """Each column's Arrow type as read (a CSV file's cells are all text)."""
        if self._parquet is not None:
            schema = self._parquet.schema_arrow
            return {name: schema.field(name).type for name in schema.names}
        return {name: pa.string() for name in self.columns}

    def batches(
        self, columns: Sequence[str] | None = None, rows: int | None = None
    ) -> Iterator[tuple[int, pa.Table | pd.DataFrame]]:
        """(offset, batch) of ``rows`` (default :data:`BATCH_ROWS`) in file order.

        The batch's first row is row ``offset + 1``. A Parquet file's batches
        are Arrow tables; a CSV file's are slices of its frame of text cells
        (``NaN`` for a missing cell, as :func:`read_records` reads them).

        Raises
        ------
        ValidationError
            A Parquet page that cannot be read.
        """
        chosen = list(columns) if columns is not None else self.columns
        rows = rows or BATCH_ROWS
        offset = 0
        if self._frame is not None:
            for start in range(0, len(self._frame), rows):
                yield start, self._frame.iloc[start : start + rows][chosen]
            return
        assert self._parquet is not None
        reader = self._parquet.iter_batches(batch_size=rows, columns=chosen)
        while True:
            try:
                batch = next(reader)
            except StopIteration:
                return
            except Exception as exc:  # pyarrow raises many unrelated types for a bad file
                raise ValidationError(self.name, [f"not a readable Parquet file: {exc}"]) from exc
            yield offset, pa.Table.from_batches([batch])
            offset += batch.num_rows


def open_batches(path: str | Path, max_bytes: int | None = MAX_FILE_BYTES) -> RecordBatches:
    """Open a record file for :class:`RecordBatches`, checking what can be checked up front.

    The same refusals as :func:`read_records`, in the same words; the hash is
    of the file's bytes, read in blocks.

    Raises
    ------
    ValidationError
        As :func:`read_records`.
    """
    path = Path(path)
    if not str(path).lower().endswith((".parquet", ".pq")):
        file = RecordFile.from_path(path)
        frame = read_records(file, max_bytes)
        return RecordBatches(file.name, file.sha256, [str(c) for c in frame.columns], frame=frame)
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationError(name, [f"cannot read the file: {exc.strerror}"]) from exc
    if size == 0:
        raise ValidationError(name, ["the file is empty"])
    _refuse_size(name, size, max_bytes)
    parquet = _open_parquet(name, path, max_bytes)
    if parquet.metadata.num_rows == 0:
        raise ValidationError(name, ["the file has a header but no rows"])
    schema = parquet.schema_arrow
    index = (schema.pandas_metadata or {}).get(
        "index_columns", []
    )  # pandas reads them as the index
    columns = [n for n in schema.names if n not in index]
    return RecordBatches(name, _sha256(name, path), columns, parquet=parquet)


def read_records(file: RecordFile, max_bytes: int | None = MAX_FILE_BYTES) -> pd.DataFrame:
    """Parse a CSV (optionally ``.gz``) or Parquet file into a DataFrame.

    CSV cells are kept as text (``None`` for missing cells) so that validation
    can quote the exact value that failed; Parquet keeps its own types.
    ``max_bytes`` bounds the file, its decompressed text and a Parquet file's
    uncompressed data (a few megabytes of gzip can hold gigabytes of text);
    ``None``: no limit.

    Raises
    ------
    ValidationError
        The file is empty, too large, not UTF-8 text, binary, ragged, has a
        cell over :data:`MAX_CELL_CHARS` or duplicated column names.
    """
    name = file.name.lower()
    if not file.content:
        raise ValidationError(file.name, ["the file is empty"])
    _refuse_size(file.name, len(file.content), max_bytes)
    if name.endswith((".parquet", ".pq")):
        frame = _read_parquet(file, max_bytes)
    elif name.endswith((".csv", ".csv.gz", ".txt")):
        frame = _read_csv(file, _csv_text(file, max_bytes))
    else:
        raise ValidationError(file.name, ["unsupported file type: use .csv, .csv.gz or .parquet"])
    if frame.empty:
        raise ValidationError(file.name, ["the file has a header but no rows"])
    return frame


def text_encoding_problem(head: bytes) -> str | None:
    """Why the start of a text file is not UTF-8 text it can read, seen from its bytes.

    A byte-order mark or the NUL bytes between ASCII letters name UTF-16 or
    UTF-32; other NUL bytes mean binary data. ``None``: nothing wrong seen.
    """
    for mark, encoding in _BOMS:
        if head.startswith(mark):
            return f"the file is {encoding} text; save it as UTF-8"
    if b"\x00" not in head:
        return None
    sample = head[: len(head) // 2 * 2]
    if sample and sample[1::2].count(0) > 0.9 * len(sample) // 2:
        return "the file is UTF-16 (little-endian) text without a byte-order mark; save it as UTF-8"
    if sample and sample[0::2].count(0) > 0.9 * len(sample) // 2:
        return "the file is UTF-16 (big-endian) text without a byte-order mark; save it as UTF-8"
    line = head[: head.index(b"\x00")].count(b"\n") + 1
    return f"not a CSV file: line {line} holds binary data (a NUL byte)"


def megabytes(size: int) -> str:
    """A size for people: ``12.5 MB``, or bytes below one MB."""
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def _refuse_size(name: str, size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise ValidationError(
            name,
            [f"the file is {megabytes(size)}, larger than the limit of {megabytes(max_bytes)}"],
        )


def _sha256(name: str, path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while block := stream.read(_HASH_BLOCK):
                digest.update(block)
    except OSError as exc:
        raise ValidationError(name, [f"cannot read the file: {exc.strerror}"]) from exc
    return digest.hexdigest()


def _csv_text(file: RecordFile, max_bytes: int | None) -> bytes:
    """The CSV's bytes, decompressed for ``.gz`` without ever holding more than ``max_bytes``."""
    text = file.content
    if file.name.lower().endswith(".gz"):
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(file.content)) as stream:
                text = stream.read() if max_bytes is None else stream.read(max_bytes + 1)
        except (OSError, EOFError) as exc:
            raise ValidationError(file.name, [f"not a readable CSV file: {exc}".strip()]) from exc
        if max_bytes is not None and len(text) > max_bytes:
            raise ValidationError(
                file.name,
                [
                    f"the file decompresses to more than {megabytes(max_bytes)} of text, "
                    f"the limit for an uncompressed file"
                ],
            )
    problem = text_encoding_problem(text[:4096])
    if problem is None and b"\x00" in text:  # past the first 4 KiB
        problem = text_encoding_problem(text[: text.index(b"\x00") + 1])
    if problem:
        raise ValidationError(file.name, [problem])
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
    short = _short_lines(file, text, raw.shape[1])
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


def _short_lines(file: RecordFile, text: bytes, width: int) -> list[tuple[int, int]]:
    """(line, fields) of every non-blank line with fewer than ``width`` fields.

    pandas pads short lines with empty cells, so they are counted here with the
    ``csv`` module (line numbers count the header as line 1), which also finds
    a cell longer than :data:`MAX_CELL_CHARS` (its own field limit).
    """
    reader = csv.reader(io.StringIO(text.decode("utf-8-sig")))
    short = []
    try:
        for row in reader:
            if row and len(row) < width:
                short.append((reader.line_num, len(row)))
    except csv.Error as exc:
        line = reader.line_num  # the line that was being read
        problem = (
            f"row {line - 1} (line {line}): a cell is longer than {MAX_CELL_CHARS:,} "
            f"characters, the limit for one value"
            if "field larger" in str(exc)
            else f"line {line}: not a readable CSV row: {exc}"
        )
        raise ValidationError(file.name, [problem]) from exc
    return short


def _read_parquet(file: RecordFile, max_bytes: int | None) -> pd.DataFrame:
    parquet = _open_parquet(file.name, io.BytesIO(file.content), max_bytes)
    try:
        table = parquet.read()
    except Exception as exc:  # pyarrow raises many unrelated types for a bad file
        raise ValidationError(file.name, [f"not a readable Parquet file: {exc}"]) from exc
    return table.to_pandas()


def _open_parquet(name: str, source: Path | io.BytesIO, max_bytes: int | None) -> pq.ParquetFile:
    """A Parquet file whose data is within the limit and whose column names are unique."""
    try:
        import pyarrow.parquet

        parquet = pyarrow.parquet.ParquetFile(source)
        size = sum(
            parquet.metadata.row_group(i).total_byte_size
            for i in range(parquet.metadata.num_row_groups)
        )
    except Exception as exc:  # pyarrow raises many unrelated types for a bad file
        raise ValidationError(name, [f"not a readable Parquet file: {exc}"]) from exc
    if max_bytes is not None and size > max_bytes:
        raise ValidationError(
            name,
            [f"the file holds {megabytes(size)} of data uncompressed, more than the limit "
             f"of {megabytes(max_bytes)}"],
        )  # fmt: skip
    names = parquet.schema_arrow.names
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValidationError(name, [f"duplicated column name(s): {duplicated}"])
    return parquet
