"""One interface over Alibi Detect's drift detectors, and the one adapter of their output.

A :class:`Detector` is a frozen configuration. ``fit(x_ref)`` builds the Alibi
Detect object on the reference and returns a :class:`FittedDetector`, whose
``detect(x)`` returns a :class:`DetectorResult`. Online detectors also stream:
``FittedDetector.stream(x)`` returns one result per record. Alibi Detect's
``{'data': ..., 'meta': ...}`` dictionaries are read by :func:`adapt` and
nowhere else.

Detectors are never shared and never update their reference (``update_x_ref``
stays ``None``): every run fits its own. Alibi Detect and PyTorch are imported
only when a detector is fitted, so ``import monitoring`` stays fast; a detector
whose backend is not installed raises :class:`BackendMissingError` naming it.

Randomness (permutation tests, kernel centres, bootstrap thresholds) is seeded
per call and the global NumPy and PyTorch generators are restored afterwards.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from monitoring.errors import MonitoringError

Family = Literal["numeric", "categorical", "binary", "mixed", "multivariate", "online"]


class BackendMissingError(MonitoringError):
    """A detector needs a library (Alibi Detect, PyTorch, scikit-learn) that is not installed."""


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

    def detect(self, x: np.ndarray) -> DetectorResult:
        """Test a batch against the reference."""
        x = _matrix(x)
        detector = self.detector
        with seeded(detector.seed, detector.random, detector.backend == "torch"):
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
            for row in _matrix(x):
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
    family: ClassVar[Family] = "numeric"
    backend: ClassVar[str] = "alibi_detect"
    statistic_name: ClassVar[str] = ""
    random: ClassVar[bool] = False
    p_val: float = 0.05
    seed: int = 0

    def fit(self, x_ref: np.ndarray) -> FittedDetector:
        """Build the Alibi Detect detector on ``x_ref`` (rows × features, or a 1-D column)."""
        require(self.backend)
        x_ref = _matrix(x_ref)
        with seeded(self.seed, self.random, self.backend == "torch"):
            alibi = self.build(x_ref)
        return FittedDetector(self, alibi, len(x_ref))

    def build(self, x_ref: np.ndarray) -> Any:
        raise NotImplementedError

    def predict(self, alibi: Any, x: np.ndarray) -> Mapping[str, Any]:
        return alibi.predict(x)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class KSDetector(Detector):
    """Two-sample Kolmogorov–Smirnov per feature (Alibi Detect ``KSDrift``; asymptotic p)."""

    name: ClassVar[str] = "ks"
    family: ClassVar[Family] = "numeric"
    statistic_name: ClassVar[str] = "KS D"

    def build(self, x_ref: np.ndarray) -> Any:
        from alibi_detect.cd import KSDrift

        return KSDrift(x_ref, p_val=self.p_val, alternative="two-sided")


@dataclass(frozen=True)
class CVMDetector(Detector):
    """Two-sample Cramér–von Mises per feature (``CVMDrift``; exact p for small samples)."""

    name: ClassVar[str] = "cvm"
    family: ClassVar[Family] = "numeric"
    statistic_name: ClassVar[str] = "CvM T"

    def build(self, x_ref: np.ndarray) -> Any:
        from alibi_detect.cd import CVMDrift

        return CVMDrift(x_ref, p_val=self.p_val)


@dataclass(frozen=True)
class ChiSquareDetector(Detector):
    """Chi-squared test of independence per categorical feature (``ChiSquareDrift``).

    Data are integer codes; ``categories`` gives each feature's number of
    reference categories (codes ``0 … k-1``); codes ≥ k are unseen categories.
    """

    name: ClassVar[str] = "chi2"
    family: ClassVar[Family] = "categorical"
    statistic_name: ClassVar[str] = "chi²"
    categories: tuple[int, ...] = ()

    def build(self, x_ref: np.ndarray) -> Any:
        from alibi_detect.cd import ChiSquareDrift

        return ChiSquareDrift(
            x_ref, p_val=self.p_val, categories_per_feature=_per_feature(self.categories, x_ref)
        )


@dataclass(frozen=True)
class FETDetector(Detector):
    """Two-sided Fisher exact test per binary feature coded 0/1 (``FETDrift``)."""

    name: ClassVar[str] = "fet"
    family: ClassVar[Family] = "binary"
    statistic_name: ClassVar[str] = "odds ratio"

    def build(self, x_ref: np.ndarray) -> Any:
        from alibi_detect.cd import FETDrift

        return FETDrift(x_ref, p_val=self.p_val, alternative="two-sided")


@dataclass(frozen=True)
class TabularDetector(Detector):
    """KS for numeric and chi-squared for categorical features in one call (``TabularDrift``).

    ``categories`` maps each categorical feature's column index to its number of
    reference categories; it is always set, so categories are never KS-tested.
    """

    name: ClassVar[str] = "tabular"
    family: ClassVar[Family] = "mixed"
    statistic_name: ClassVar[str] = "KS D / chi²"
    categories: tuple[tuple[int, int], ...] = ()

    def build(self, x_ref: np.ndarray) -> Any:
        from alibi_detect.cd import TabularDrift

        return TabularDrift(
            x_ref,
            p_val=self.p_val,
            categories_per_feature={i: k for i, k in self.categories},
            alternative="two-sided",
        )


@dataclass(frozen=True)
class _KernelDetector(Detector):
    """A PyTorch (CPU) two-sample test with a permutation p-value; subclasses name the class."""

    family: ClassVar[Family] = "multivariate"
    backend: ClassVar[str] = "torch"
    random: ClassVar[bool] = True
    alibi_class: ClassVar[str]
    n_permutations: int = 100

    def build(self, x_ref: np.ndarray) -> Any:
        import alibi_detect.cd

        return getattr(alibi_detect.cd, self.alibi_class)(
            x_ref.astype(np.float32),
            backend="pytorch",
            p_val=self.p_val,
            n_permutations=self.n_permutations,
            device="cpu",
        )

    def predict(self, alibi: Any, x: np.ndarray) -> Mapping[str, Any]:
        return alibi.predict(x.astype(np.float32))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class MMDDetector(_KernelDetector):
    """Maximum mean discrepancy with a permutation test (``MMDDrift``, PyTorch on CPU)."""

    name: ClassVar[str] = "mmd"
    statistic_name: ClassVar[str] = "MMD²"
    alibi_class: ClassVar[str] = "MMDDrift"


@dataclass(frozen=True)
class LSDDDetector(_KernelDetector):
    """Least-squares density difference with a permutation test (``LSDDDrift``, PyTorch)."""

    name: ClassVar[str] = "lsdd"
    statistic_name: ClassVar[str] = "LSDD"
    alibi_class: ClassVar[str] = "LSDDDrift"


@dataclass(frozen=True)
class ClassifierDetector(Detector):
    """A gradient-boosted classifier tries to tell the windows apart (``ClassifierDrift``).

    scikit-learn backend; out-of-fold predictions over ``n_folds`` folds; the
    statistic is Alibi Detect's KS distance between the classifier's
    out-of-fold scores of the two windows.
    """

    name: ClassVar[str] = "classifier"
    family: ClassVar[Family] = "multivariate"
    backend: ClassVar[str] = "sklearn"
    statistic_name: ClassVar[str] = "classifier KS"
    random: ClassVar[bool] = True
    n_folds: int = 5
    max_iter: int = 50

    def build(self, x_ref: np.ndarray) -> Any:
        from alibi_detect.cd import ClassifierDrift
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(max_iter=self.max_iter, random_state=self.seed)
        return ClassifierDrift(
            x_ref,
            model=model,
            backend="sklearn",
            p_val=self.p_val,
            n_folds=self.n_folds,
            seed=self.seed,
        )

    def predict(self, alibi: Any, x: np.ndarray) -> Mapping[str, Any]:
        return alibi.predict(x, return_probs=False, return_model=False)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CVMOnlineDetector(Detector):
    """Online Cramér–von Mises on a numeric stream (``CVMDriftOnline``), at a chosen ERT."""

    name: ClassVar[str] = "cvm_online"
    family: ClassVar[Family] = "online"
    statistic_name: ClassVar[str] = "online CvM"
    random: ClassVar[bool] = True
    ert: float = 200.0
    window_sizes: tuple[int, ...] = (20, 50)
    n_bootstraps: int = 2000

    def build(self, x_ref: np.ndarray) -> Any:
        from alibi_detect.cd import CVMDriftOnline

        return CVMDriftOnline(
            x_ref,
            ert=self.ert,
            window_sizes=list(self.window_sizes),
            n_bootstraps=self.n_bootstraps,
            verbose=False,
        )


@dataclass(frozen=True)
class FETOnlineDetector(Detector):
    """Online Fisher exact test on a 0/1 stream (``FETDriftOnline``) at a chosen ERT.

    ``alternative`` ``greater`` watches for a rise in the share of ones, ``less``
    for a fall (Alibi Detect has no two-sided online FET).
    """

    name: ClassVar[str] = "fet_online"
    family: ClassVar[Family] = "online"
    statistic_name: ClassVar[str] = "online FET"
    random: ClassVar[bool] = True
    ert: float = 200.0
    window_sizes: tuple[int, ...] = (20, 50)
    n_bootstraps: int = 2000
    alternative: str = "greater"

    def build(self, x_ref: np.ndarray) -> Any:
        from alibi_detect.cd import FETDriftOnline

        return FETDriftOnline(
            x_ref,
            ert=self.ert,
            window_sizes=list(self.window_sizes),
            n_bootstraps=self.n_bootstraps,
            alternative=self.alternative,
            verbose=False,
        )


DETECTORS: Mapping[str, type[Detector]] = {
    cls.name: cls
    for cls in (
        KSDetector,
        CVMDetector,
        ChiSquareDetector,
        FETDetector,
        TabularDetector,
        MMDDetector,
        LSDDDetector,
        ClassifierDetector,
        CVMOnlineDetector,
        FETOnlineDetector,
    )
}


def detector_class(name: str) -> type[Detector]:
    """The detector registered as ``name``; unknown names list the valid ones."""
    try:
        return DETECTORS[name]
    except KeyError:
        raise MonitoringError(
            f"unknown detector {name!r}; valid detectors are {sorted(DETECTORS)}"
        ) from None


def available(name: str) -> str | None:
    """``None`` when ``name``'s backend is installed, else a sentence saying what is missing."""
    try:
        require(detector_class(name).backend)
    except BackendMissingError as exc:
        return str(exc)
    return None


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
    way to make its permutation tests and thresholds repeatable. Detectors that
    draw nothing pass ``numpy=False``: the global state is then left alone,
    which matters when several threads run tests at once.
    """
    if not numpy:
        yield
        return
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


def _per_feature(categories: tuple[int, ...], x_ref: np.ndarray) -> dict[int, int]:
    if len(categories) != x_ref.shape[1]:
        raise MonitoringError(
            f"chi-squared needs a category count for each of the {x_ref.shape[1]} feature(s), "
            f"got {len(categories)}"
        )
    return dict(enumerate(categories))


def _matrix(x: np.ndarray) -> np.ndarray:
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
