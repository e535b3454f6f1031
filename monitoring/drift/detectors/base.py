"""The one detector interface, the one adapter of Alibi Detect's output, and seeding.

A :class:`Detector` is a frozen configuration. ``fit(x_ref)`` builds the Alibi
Detect object on the reference and returns a :class:`FittedDetector`, whose
``detect(x)`` returns a :class:`DetectorResult`. Online detectors also stream:
``FittedDetector.stream(x)`` returns one result per record. Alibi Detect's
``{'data': ..., 'meta': ...}`` dictionaries are read by :func:`adapt` and
nowhere else; every Alibi Detect call of the product goes through a detector
of this package (drift, timelines, the concept-drift error tests).

Detectors are never shared and never update their reference (``update_x_ref``
stays ``None``): every run fits its own. Alibi Detect and PyTorch are imported
only when a detector is fitted, so ``import monitoring`` stays fast; a detector
whose backend is not installed raises :class:`~monitoring.errors.BackendMissingError`.

Randomness (permutation tests, kernel centres, bootstrap thresholds): Alibi
Detect draws from the process-wide NumPy and PyTorch generators, which every
session of the app shares. :func:`seeded` therefore holds one process-wide lock
while it seeds them and the detector draws, and restores them afterwards, so a
random detector gives the same answer whatever runs beside it.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from monitoring.errors import BackendMissingError, MonitoringError

Family = Literal["numeric", "categorical", "binary", "mixed", "multivariate", "online"]
_RANDOM_LOCK = threading.RLock()  # the global generators are one per process


@dataclass(frozen=True)
class DetectorResult:
    """What one detector said about one batch (or, online, about one time step).

    ``p_values`` and ``statistics`` hold one value per feature for univariate
    detectors and one value for multivariate ones; online steps have no
    p-values and one statistic per feature (the largest over the test windows,
    ``nan`` until the smallest window is full). ``threshold`` is Alibi Detect's
    own p-value threshold (after its correction) for offline detectors and the
    statistic threshold for online ones; ``distance_threshold`` is set by MMD
    and LSDD. ``time`` and ``ert`` are set for online steps only.
    """

    detector: str
    is_drift: bool
    p_values: tuple[float, ...]
    statistics: tuple[float, ...]
    statistic_name: str
    threshold: float | None
    distance_threshold: float | None
    n_reference: int
    n_current: int
    time: int | None = None
    ert: float | None = None
    alibi_version: str = ""


def adapt(
    output: Mapping[str, Any],
    *,
    detector: str,
    statistic_name: str,
    n_reference: int,
    n_current: int,
) -> DetectorResult:
    """Convert an Alibi Detect ``{'data', 'meta'}`` dictionary into a :class:`DetectorResult`."""
    data: Mapping[str, Any] = output["data"]
    meta: Mapping[str, Any] = output.get("meta", {})
    online = "time" in data
    if online:  # test_stat is (windows, features): keep each feature's largest
        statistics = _largest_per_feature(data.get("test_stat"))
    else:
        statistics = _floats(data.get("distance"))
    threshold = data.get("threshold")
    return DetectorResult(
        detector=detector,
        is_drift=bool(np.any(data.get("is_drift", 0))),
        p_values=_floats(data.get("p_val")),
        statistics=statistics,
        statistic_name=statistic_name,
        threshold=None if threshold is None else float(np.max(threshold)),
        distance_threshold=_scalar(data.get("distance_threshold")),
        n_reference=n_reference,
        n_current=n_current,
        time=int(data["time"]) if online else None,
        ert=_scalar(data.get("ert")),
        alibi_version=str(meta.get("version", "")),
    )


class FittedDetector:
    """An Alibi Detect detector fitted on one reference; use it for one run, then drop it."""

    def __init__(self, detector: Detector, alibi: Any, n_reference: int) -> None:
        self.detector = detector
        self._alibi = alibi
        self.n_reference = n_reference

    def detect(self, x: np.ndarray, context: np.ndarray | None = None) -> DetectorResult:
        """Test a batch against the reference (with each row's ``context`` for a detector that
        takes one)."""
        x = as_matrix(x)
        detector = self.detector
        with seeded(detector.seed, detector.random, detector.backend == "torch"):
            if detector.needs_context:
                output = detector.predict_in_context(self._alibi, x, _context(detector, context))
            else:
                output = detector.predict(self._alibi, x)
        return self._adapt(output, len(x))

    def stream(self, x: np.ndarray, stop_at_drift: bool = True) -> list[DetectorResult]:
        """Feed records one by one to an online detector, from its initial state.

        Stops after the first step flagged as drift when ``stop_at_drift``.
        """
        if self.detector.family != "online":
            raise MonitoringError(f"{self.detector.name} is not an online detector")
        self._alibi.reset_state()
        steps: list[DetectorResult] = []
        with seeded(self.detector.seed, True):  # FETDriftOnline breaks ties at random
            for row in as_matrix(x):
                steps.append(self._adapt(self._alibi.predict(row), 1))
                if stop_at_drift and steps[-1].is_drift:
                    break
        return steps

    def _adapt(self, output: Mapping[str, Any], n_current: int) -> DetectorResult:
        return adapt(
            output,
            detector=self.detector.name,
            statistic_name=self.detector.statistic_name,
            n_reference=self.n_reference,
            n_current=n_current,
        )


@dataclass(frozen=True)
class Detector:
    """A detector's configuration; :meth:`fit` builds it on a reference.

    ``p_val`` is the level Alibi Detect uses for its own ``is_drift``;
    Driftwatch's verdicts apply their own correction across columns to the
    returned p-values.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""  # the test's name for people: "Kolmogorov–Smirnov"
    scope: ClassVar[str] = ""  # what it applies to: "numeric", "all features, one call"
    family: ClassVar[Family] = "numeric"
    backend: ClassVar[str] = "alibi_detect"
    alibi_class: ClassVar[str] = ""
    statistic_name: ClassVar[str] = ""
    random: ClassVar[bool] = False
    sample_cap: ClassVar[int | None] = None  # rows per window a sampled detector draws
    needs_context: ClassVar[bool] = False  # rows come with a context (their calendar position)
    p_val: float = 0.05
    seed: int = 0

    @classmethod
    def label(cls) -> str:
        """The test and what it applies to, for menus: ``Kolmogorov–Smirnov (numeric)``."""
        return f"{cls.title} ({cls.scope})"

    def fit(self, x_ref: np.ndarray, context: np.ndarray | None = None) -> FittedDetector:
        """Build the Alibi Detect detector on ``x_ref`` (rows × features, or a 1-D column), and
        each row's ``context`` for a detector that :attr:`needs_context`."""
        require(self.backend)
        x_ref = as_matrix(x_ref)
        with seeded(self.seed, self.random, self.backend == "torch"):
            if self.needs_context:
                alibi = self.build_in_context(x_ref, _context(self, context))
            else:
                alibi = self.build(x_ref)
        return FittedDetector(self, alibi, len(x_ref))

    def build(self, x_ref: np.ndarray) -> Any:
        """The Alibi Detect object of this configuration (called once, by :meth:`fit`)."""
        import alibi_detect.cd

        return getattr(alibi_detect.cd, self.alibi_class)(x_ref, **self.options(x_ref))

    def options(self, x_ref: np.ndarray) -> dict[str, Any]:
        """The keyword arguments of the Alibi Detect class besides the reference."""
        return {"p_val": self.p_val}

    def predict(self, alibi: Any, x: np.ndarray) -> Mapping[str, Any]:
        return alibi.predict(x)  # type: ignore[no-any-return]

    def build_in_context(self, x_ref: np.ndarray, context: np.ndarray) -> Any:
        """The Alibi Detect object of a detector that :attr:`needs_context`."""
        raise NotImplementedError

    def predict_in_context(
        self, alibi: Any, x: np.ndarray, context: np.ndarray
    ) -> Mapping[str, Any]:
        """Alibi Detect's output for a batch and its rows' context."""
        raise NotImplementedError


def _context(detector: Detector, context: np.ndarray | None) -> np.ndarray:
    if context is None:
        raise MonitoringError(f"the {detector.name} detector needs each row's context")
    return as_matrix(context).astype(np.float32)


def require(backend: str) -> None:
    """Raise :class:`BackendMissingError` unless ``backend`` (and Alibi Detect) can be imported."""
    for module in dict.fromkeys(("alibi_detect", backend)):
        if importlib.util.find_spec(module) is None:
            raise BackendMissingError(
                f"this detector needs the Python package {module!r}, which is not installed"
            )


def preload() -> None:
    """Import Alibi Detect now, in this thread, before worker threads fit detectors."""
    require("alibi_detect")
    import alibi_detect.cd  # noqa: F401


@contextmanager
def seeded(seed: int, numpy: bool = True, torch: bool = False) -> Iterator[None]:
    """Seed NumPy's (and, with ``torch``, PyTorch's) global generator; restore it afterwards.

    Alibi Detect draws from the global generators, so seeding them is the only
    way to make its permutation tests and thresholds repeatable. The section
    holds a process-wide lock, so two threads never draw from each other's
    seeded state. Detectors that draw nothing pass ``numpy=False``: they then
    neither lock nor touch the generators, and run in parallel.
    """
    if not numpy:
        yield
        return
    with _RANDOM_LOCK:
        state = np.random.get_state()
        np.random.seed(seed)
        try:
            if torch:
                import torch as torch_module

                with torch_module.random.fork_rng(devices=[]):
                    torch_module.manual_seed(seed)
                    yield
            else:
                yield
        finally:
            np.random.set_state(state)


def as_matrix(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x.reshape(len(x), -1)


def _floats(value: Any) -> tuple[float, ...]:
    if value is None:
        return ()
    return tuple(float(v) for v in np.ravel(np.asarray(value, dtype=np.float64)))


def _scalar(value: Any) -> float | None:
    return None if value is None else float(np.max(value))


def _largest_per_feature(value: Any) -> tuple[float, ...]:
    if value is None:
        return ()
    stats = np.atleast_2d(np.asarray(value, dtype=np.float64))
    empty = np.isnan(stats).all(axis=0)
    largest = np.where(empty, np.nan, np.max(np.where(np.isnan(stats), -np.inf, stats), axis=0))
    return tuple(float(v) for v in largest)
