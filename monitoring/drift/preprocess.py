"""Turn mixed feature columns into one numeric matrix for multivariate detectors.

Fitted on the reference only, then applied unchanged to every window:

- numeric columns are standardised with the reference's mean and population
  standard deviation (a constant column is centred and left unscaled); a NULL
  becomes the reference mean, i.e. 0 after scaling;
- categorical columns are one-hot encoded over their ``max_levels`` most
  frequent reference categories (ties by name). Any other value, unseen
  categories included, and NULL each get their own indicator column, so a new
  category or a rise in missing values shows up as a shift rather than
  vanishing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitoring.errors import MonitoringError

MAX_LEVELS = 20


@dataclass(frozen=True)
class NumericScaling:
    """Reference mean and scale of one numeric column."""

    column: str
    mean: float
    scale: float


@dataclass(frozen=True)
class CategoryEncoding:
    """The reference categories of one column that get their own indicator."""

    column: str
    levels: tuple[str, ...]


@dataclass(frozen=True)
class Preprocessor:
    """An encoding fitted on a reference sample; :meth:`transform` applies it to any window."""

    numeric: tuple[NumericScaling, ...]
    categorical: tuple[CategoryEncoding, ...]

    @classmethod
    def fit(
        cls,
        reference: pd.DataFrame,
        numeric: Sequence[str],
        categorical: Sequence[str],
        max_levels: int = MAX_LEVELS,
    ) -> Preprocessor:
        """Learn scaling and category levels from ``reference`` (one row per record)."""
        if reference.empty:
            raise MonitoringError("cannot fit the encoding on an empty reference window")
        scalings = []
        for column in numeric:
            values = reference[column].astype("float64")
            mean = float(values.mean()) if values.notna().any() else 0.0
            std = float(values.std(ddof=0)) if values.notna().sum() > 1 else 0.0
            scalings.append(NumericScaling(column, mean, std if std > 0 else 1.0))
        encodings = []
        for column in categorical:
            counts = reference[column].dropna().astype(str).value_counts()
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            encodings.append(CategoryEncoding(column, tuple(c for c, _ in ranked[:max_levels])))
        return cls(tuple(scalings), tuple(encodings))

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The name of each output column, e.g. ``temp`` or ``carrier=UA``."""
        names = [s.column for s in self.numeric]
        for e in self.categorical:
            names += [f"{e.column}={level}" for level in e.levels]
            names += [f"{e.column}=<other>", f"{e.column}=<missing>"]
        return tuple(names)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The encoded matrix (float64, one row per record, columns as :attr:`feature_names`)."""
        blocks = []
        for s in self.numeric:
            values = frame[s.column].astype("float64").to_numpy()
            blocks.append(np.nan_to_num((values - s.mean) / s.scale, nan=0.0)[:, None])
        for e in self.categorical:
            raw = frame[e.column]
            missing = raw.isna().to_numpy()
            text = raw.astype(str).to_numpy()
            if e.levels:
                onehot = np.column_stack([(text == level) & ~missing for level in e.levels])
            else:
                onehot = np.zeros((len(frame), 0), dtype=bool)
            other = ~onehot.any(axis=1) & ~missing
            blocks.append(np.column_stack([onehot, other, missing]).astype(np.float64))
        if not blocks:
            raise MonitoringError("no feature columns to encode")
        return np.hstack(blocks)
