import datetime as dt
from pathlib import Path

import pytest

from monitoring.drift.config import DriftConfig
from monitoring.drift.engine import run_drift
from monitoring.errors import MonitoringError
from monitoring.timeline.multivariate import multivariate_timeline
from tests.unit.drift.test_engine import FEB, JAN, MAR, build, frame

APR = dt.datetime(2024, 4, 1)


@pytest.mark.parametrize("detector", ["mmd", "context_mmd"])
def test_fitted_once_each_window_gets_the_p_value_of_its_own_drift_run(
    tmp_path: Path, detector: str
) -> None:
    store = build(
        tmp_path / "d.duckdb", frame(300, JAN, 1), frame(300, FEB, 2), frame(300, MAR, 3, 1.0)
    )
    windows = [(FEB, MAR), (MAR, APR), (APR, APR + dt.timedelta(days=7))]
    config = DriftConfig(detector, sample_cap=120, n_permutations=20)
    seen: list[tuple[int, int]] = []
    points = multivariate_timeline(
        store, "m", windows, detector, config, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]
    for window, point in zip(windows[:2], points, strict=False):
        alone = run_drift(
            store, "m", window, detector=detector, sample_cap=120, n_permutations=20
        ).multivariate
        assert alone is not None
        assert (point.start, point.p_value, point.n_current) == (
            window[0],
            alone.p_value,
            alone.n_current,
        )
    assert points[1].p_value is not None and points[1].p_value < 0.05  # March is shifted
    assert points[2].as_tuple() == (APR, None, 0)  # an empty window is not tested


def test_a_univariate_detector_is_refused(tmp_path: Path) -> None:
    store = build(tmp_path / "d.duckdb", frame(100, JAN, 1))
    with pytest.raises(MonitoringError, match="'ks' is not a multivariate detector"):
        multivariate_timeline(store, "m", [(FEB, MAR)], "ks")
