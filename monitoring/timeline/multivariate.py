"""A multivariate detector over many windows, fitted once on the reference.

A drift run per window (what the Timeline did before) fits the detector again
for every window — the reference sample, its encoding and, for MMD, the
kernel's bandwidth and the reference's kernel matrix — and computes the
univariate tests nobody asked for. Here the reference is sampled, encoded and
fitted once; each window then only draws its own sample (at most the
detector's cap) and is tested. The sample, the encoding and the seeding are
those of a single drift run (:func:`monitoring.drift.joint.multivariate`), so
each window's p-value is the one a drift run of that window gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitoring.drift import detectors
from monitoring.drift.config import MIN_VALUES, DriftConfig
from monitoring.drift.context import calendar_context, context_cycles
from monitoring.drift.preprocess import Preprocessor
from monitoring.errors import MonitoringError
from monitoring.store import reads
from monitoring.store.connection import Store
from monitoring.timeutil import Bounds

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MultivariatePoint:
    """One window's joint test: its start, p-value (``None``: too few rows) and sample size."""

    start: dt.datetime
    p_value: float | None
    n_current: int

    def as_tuple(self) -> tuple[dt.datetime, float | None, int]:
        return (self.start, self.p_value, self.n_current)


def multivariate_timeline(
    store: Store,
    model: str,
    windows: Sequence[Bounds],
    detector: str,
    config: DriftConfig | None = None,
    progress: Progress | None = None,
) -> list[MultivariatePoint]:
    """``detector`` (a multivariate one) on each of ``windows`` against the spec's reference.

    ``config`` gives α, the seed, the permutations and the sample cap (by
    default the detector's own); its detector is ``detector``. ``progress(done,
    total)`` is called after each window.

    Raises
    ------
    MonitoringError
        ``detector`` is not a multivariate detector, or the reference has fewer
        than the minimum rows a joint test needs.
    """
    config = DriftConfig(detector) if config is None else config
    if config.detector != detector:
        config = DriftConfig(
            detector,
            p_threshold=config.p_threshold,
            sample_cap=config.sample_cap,
            n_permutations=config.n_permutations,
            seed=config.seed,
        )
    cls = detectors.detector_class(detector)
    if cls.family != "multivariate" or config.cap is None:
        raise MonitoringError(
            f"{detector!r} is not a multivariate detector; choose one of {detectors.MULTIVARIATE}"
        )
    handle = store.model(model)
    spec = handle.spec
    reference = (spec.reference.start, spec.reference.end)
    columns = [*spec.features, spec.timestamp] if cls.needs_context else list(spec.features)
    # Every sample is read first, so the file is not held while the detector computes.
    with store.connect() as con:
        ref = reads.sample(con, handle.source, reference, columns, config.cap, config.seed)
        samples = [
            reads.sample(con, handle.source, w, columns, config.cap, config.seed) for w in windows
        ]
    if len(ref) < MIN_VALUES:
        raise MonitoringError(
            f"model {model!r}: the reference {spec.reference.label()} has {len(ref)} rows, "
            f"fewer than the {MIN_VALUES} a joint test needs"
        )
    encoder = Preprocessor.fit(ref, spec.numeric_features, spec.categorical_features)
    options: dict[str, int | float] = {"p_val": config.p_threshold, "seed": config.seed}
    if detector in ("mmd", "lsdd", "context_mmd"):
        options["n_permutations"] = config.n_permutations
    instance = cls(**options)  # type: ignore[arg-type]
    cycles = context_cycles(reference) if cls.needs_context else None
    x_ref = encoder.transform(ref)
    fitted = (
        instance.fit(x_ref, calendar_context(ref[spec.timestamp], cycles))
        if cycles is not None
        else instance.fit(x_ref)
    )
    points: list[MultivariatePoint] = []
    for done, (window, cur) in enumerate(zip(windows, samples, strict=True), 1):
        if len(cur) < MIN_VALUES:
            points.append(MultivariatePoint(window[0], None, 0))
        else:
            x_cur = encoder.transform(cur)
            result = (
                fitted.detect(x_cur, calendar_context(cur[spec.timestamp], cycles))
                if cycles is not None
                else fitted.detect(x_cur)
            )
            points.append(MultivariatePoint(window[0], result.p_values[0], len(cur)))
        if progress is not None:
            progress(done, len(windows))
    return points
