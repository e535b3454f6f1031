"""The app's URL contract: the query parameters a link sets, and links the library builds.

The app reads these names (``ui/url.py``, the sidebar and each page) and the
alerts of ``python -m monitoring check`` build their deep links with them,
so both sides change together. ``from``/``to`` are the sidebar's production
window (days, both included). A name means the same on every page that reads
it; the pages that read each one:

- ``period``: how windows are cut (Feature drift: the current window's kind;
  Timeline and Performance: the window period, or ``rows`` with ``rows=N``;
  Review pack: its performance part's period).
- ``window``: the start of the one window a page shows (Feature drift's month,
  week … ; Performance's "one window"), ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM``.
- ``slice``: a saved slice by name (Feature drift).
- ``feature``, ``view`` (``histogram``/``ecdf``): the distribution shown.
- ``detector``, ``correction``, ``alpha``, ``min_effect``, ``cap``, ``rule``,
  ``baseline``, ``ref_from``/``ref_to``: the drift question's settings.
- ``range_from``/``range_to``: the Timeline's date range (days, both included).
- ``online``: the column the Timeline's online detector runs on (set while it runs).
- ``metric``: the performance metric (Performance; Review pack's performance part).
- ``against``: what an uploaded file is compared with (``reference``/``window``).
- ``parts``, ``formats``: what a review pack holds (comma-separated).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from monitoring.store.windows import WindowPlan
from monitoring.timeutil import TICK

DEFAULT_APP_URL = "http://localhost:8501"
MODEL, FROM, TO = "model", "from", "to"
PERIOD, ROWS, FEATURE, DETECTOR, CORRECTION = "period", "rows", "feature", "detector", "correction"
METRIC, WINDOW, SLICE, VIEW = "metric", "window", "slice", "view"
ALPHA, MIN_EFFECT, REF_FROM, REF_TO = "alpha", "min_effect", "ref_from", "ref_to"
BASELINE, RULE, CAP = "baseline", "rule", "cap"
RANGE_FROM, RANGE_TO, ONLINE = "range_from", "range_to", "online"
AGAINST, PARTS, FORMATS = "against", "parts", "formats"


TIMELINE, FEATURE_DRIFT, PERFORMANCE = "timeline", "feature_drift", "performance"


def moment_text(moment: dt.datetime) -> str:
    """A window start as the Performance page's link holds it: ``2013-06-03``, or
    ``2013-06-03 05:00:00`` off midnight."""
    return moment.isoformat(sep=" ").removesuffix(" 00:00:00")


def page_link(
    page: str, model: str, span: tuple[dt.datetime, dt.datetime], **params: str | None
) -> str:
    """A link relative to the app (``timeline?model=…``) opening ``page`` on ``span``.

    ``span`` becomes the sidebar's production window (``from``/``to``, days
    both included); ``params`` are further parameters by name (``None`` left out).
    """
    start, end = span
    query = {MODEL: model, FROM: start.date().isoformat(), TO: (end - TICK).date().isoformat()}
    query.update({k: v for k, v in params.items() if v is not None})
    return f"{page}?{urlencode(query)}"


def timeline_link(
    app_url: str, model: str, window: tuple[dt.datetime, dt.datetime], plan: WindowPlan
) -> str:
    """Deep link to the Timeline page: ``window`` as the production window, cut as ``plan``."""
    start, end = window
    params = {
        MODEL: model,
        FROM: start.date().isoformat(),
        TO: (end - TICK).date().isoformat(),
    }
    if plan.rows is not None:
        params[PERIOD], params[ROWS] = ROWS, str(plan.rows)
    elif plan.period is not None:
        params[PERIOD] = plan.period
    return f"{app_url.rstrip('/')}/timeline?{urlencode(params)}"


def performance_link(
    app_url: str,
    model: str,
    window: tuple[dt.datetime, dt.datetime],
    plan: WindowPlan,
    metric: str,
) -> str:
    """Deep link to the Performance page: ``metric`` on ``window``, cut as ``plan``."""
    start, end = window
    params = {
        MODEL: model,
        FROM: start.date().isoformat(),
        TO: (end - TICK).date().isoformat(),
        METRIC: metric,
        WINDOW: start.isoformat(sep=" ").removesuffix(" 00:00:00"),
    }
    if plan.rows is not None:
        params[PERIOD], params[ROWS] = ROWS, str(plan.rows)
    elif plan.period is not None:
        params[PERIOD] = plan.period
    return f"{app_url.rstrip('/')}/performance?{urlencode(params)}"
