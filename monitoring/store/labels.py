"""A binary model's two labels: which they are, and the targets and predictions outside them.

The labels are the positive one (the spec's, else ``"1"``) and one other: the
other one already stored, else the most common other value of the file's
targets and predictions. The same rule, in the same words, for a frame at
once (:func:`label_problems`: ``log_records``, uploads) and for a file
counted batch by batch (:class:`LabelTally`: a streamed import).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from monitoring.schema import DEFAULT_POSITIVE_LABEL, ModelSpec
from monitoring.store.value_findings import examples

_EXAMPLES = 3
# Past this many distinct values in a batch, their first rows are found by sorting.
_FEW_VALUES = 64


def label_problems(
    typed: dict[str, pd.Series], spec: ModelSpec, labels: Sequence[str] = ()
) -> list[tuple[str, str, str]]:
    """(column, role, message) for a binary model's targets and predictions outside its labels.

    ``labels``: the labels the model already has in the store.
    """
    if spec.task != "binary":
        return []
    positive = _positive(spec)
    roles = _roles(spec)
    present = [typed[c] for c, _ in roles if c in typed]
    if not present:
        return []
    values = pd.concat(present).dropna()
    others = values[values != positive].value_counts()
    negative = _negative(labels, positive, [str(v) for v in others.index])
    allowed = {positive, negative}
    hint = _hint(positive, set(values) | set(labels))
    problems: list[tuple[str, str, str]] = []
    for column, role in roles:
        column_values = typed.get(column)
        if column_values is None:
            continue
        bad = column_values.notna() & ~column_values.isin(allowed)
        if bad.any():
            message = _message(
                column, role, int(bad.sum()), examples(column_values, bad), positive, negative, hint
            )
            problems.append((column, role, message))
    return problems


class LabelTally:
    """Counts a binary model's targets and predictions batch by batch, with each value's first rows.

    Memory grows with the number of distinct values, not of rows.
    """

    def __init__(self, spec: ModelSpec, columns: Sequence[str], labels: Sequence[str] = ()) -> None:
        self.spec = spec
        self.labels = list(labels)
        self.roles = (
            [(c, r) for c, r in _roles(spec) if c in columns] if spec.task == "binary" else []
        )
        self.columns = [c for c, _ in self.roles]  # the ones to add()
        self._counts = {c: Counter[str]() for c, _ in self.roles}
        self._rows: dict[str, dict[str, list[int]]] = {c: {} for c, _ in self.roles}

    def add(self, column: str, values: pa.Array, offset: int) -> None:
        """Count one batch of a column (typed text) whose first row is row ``offset + 1``."""
        if column not in self._counts:
            return
        encoded = values.dictionary_encode()
        words = [str(w) for w in encoded.dictionary.to_pylist()]
        valid = ~np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        indices = np.asarray(encoded.indices.fill_null(-1).to_numpy(), dtype=np.int64)
        counts = np.bincount(indices[valid], minlength=len(words))
        rows = self._rows[column]
        for k, word in enumerate(words):
            self._counts[column][word] += int(counts[k])
        if len(words) <= _FEW_VALUES:
            for k, word in enumerate(words):
                kept = rows.setdefault(word, [])
                if len(kept) < _EXAMPLES:
                    first = np.flatnonzero(indices == k)[: _EXAMPLES - len(kept)]
                    kept.extend(int(offset + i + 1) for i in first)
        else:
            order = np.argsort(indices, kind="stable")
            ordered = indices[order]
            starts = np.searchsorted(ordered, np.arange(len(words)))
            for k, word in enumerate(words):
                kept = rows.setdefault(word, [])
                take = order[starts[k] : starts[k] + int(counts[k])][: _EXAMPLES - len(kept)]
                kept.extend(int(offset + i + 1) for i in take)

    def problems(self) -> list[str]:
        """As :func:`label_problems`' messages, over every batch added."""
        if not self.roles:
            return []
        positive = _positive(self.spec)
        total: Counter[str] = Counter()
        for counts in self._counts.values():
            total.update(counts)
        others = sorted(
            (w for w in total if w != positive and total[w]), key=lambda w: -total[w]
        )  # stable: ties keep the order of first appearance
        negative = _negative(self.labels, positive, others)
        allowed = {positive, negative}
        hint = _hint(positive, {w for w in total if total[w]} | set(self.labels))
        problems = []
        for column, role in self.roles:
            counts = self._counts[column]
            bad = [w for w in counts if counts[w] and w not in allowed]
            if not bad:
                continue
            first = sorted((row, w) for w in bad for row in self._rows[column].get(w, []))
            shown = ", ".join(f"row {row}: {w!r}" for row, w in first[:_EXAMPLES])
            count = sum(counts[w] for w in bad)
            problems.append(_message(column, role, count, shown, positive, negative, hint))
        return problems


def _positive(spec: ModelSpec) -> str:
    return spec.positive_label or DEFAULT_POSITIVE_LABEL


def _roles(spec: ModelSpec) -> list[tuple[str, str]]:
    return [(c, r) for c, r in spec.columns().items() if r in ("prediction", "target")]


def _negative(labels: Sequence[str], positive: str, others: Sequence[str]) -> str | None:
    """The other label: the one stored, else the most common other value (``others``, by count)."""
    stored = [label for label in labels if label != positive]
    return stored[0] if stored else (others[0] if others else None)


def _hint(positive: str, seen: set[str]) -> str:
    if positive in seen:
        return ""
    return f"; if the positive class is not {positive!r}, set positive_label in the spec"


def _message(
    column: str,
    role: str,
    count: int,
    shown: str,
    positive: str,
    negative: str | None,
    hint: str,
) -> str:
    return (
        f"column {column!r} ({role}): {count} value(s) are not one of the "
        f"model's two labels {positive!r} (positive) and {negative!r}, e.g. "
        f"{shown}{hint}"
    )
