"""What names an answer of the app, and the answers kept in memory for every session.

A :class:`Db` — a database file as of one data version — is the first part of
every cache key (:mod:`ui.data`); :func:`current_db` says which version the
sessions show now. :func:`shared` keeps answers computed behind a progress bar,
which a ``st.cache_data`` function cannot draw again on a cache hit.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from monitoring.store.connection import Store

SHARED = 16  # answers kept by shared(), for every session
T = TypeVar("T")


@dataclass(frozen=True)
class Db:
    """A database file as of one data version: the first part of every cache key."""

    path: str
    version: int

    @property
    def store(self) -> Store:
        return Store(self.path)


def current_db(store: Store) -> Db:
    """``store`` as of the data version every session shows now.

    A newer import is adopted once the version shown has been shown for
    :data:`REFRESH_S`: a pipeline importing every few seconds would otherwise
    make every session compute every answer again after each import (8 sessions
    beside an import loop waited 20 s for a page). An answer computed meanwhile
    may already include the newer rows; all are computed again when it is adopted.
    """
    now = time.monotonic()
    version = store.data_version()
    with _VERSIONS_LOCK:
        shown = _VERSIONS.get(store.path)
        if shown is None or (shown[0] != version and now - shown[1] >= REFRESH_S):
            shown = _VERSIONS[store.path] = (version, now)
    return Db(str(store.path), shown[0])


REFRESH_S = 30.0
_VERSIONS: dict[Path, tuple[int, float]] = {}  # per file: the version shown, since when
_VERSIONS_LOCK = threading.Lock()


def shared(key: Hashable, compute: Callable[[], T]) -> T:
    """The answer under ``key`` for every session, or ``compute()``'s (kept for the next).

    The last :data:`SHARED` answers
    are kept, so going back to the previous view (week → month → week) costs
    nothing, and neither does a new tab or another analyst opening the same
    view (the Timeline used to compute its timeline again in every new session).
    A session asking while another computes the same key waits for that answer.
    """
    with _SHARED_LOCK:
        if key in _SHARED_ANSWERS:
            _SHARED_ANSWERS.move_to_end(key)  # the newest used is kept longest
            return _SHARED_ANSWERS[key]  # type: ignore[return-value]
        computing = _COMPUTING.setdefault(key, threading.Lock())
    with computing:
        with _SHARED_LOCK:
            if key in _SHARED_ANSWERS:  # computed by another session meanwhile
                return _SHARED_ANSWERS[key]  # type: ignore[return-value]
        value = compute()
        with _SHARED_LOCK:
            _SHARED_ANSWERS[key] = value
            while len(_SHARED_ANSWERS) > SHARED:
                _SHARED_ANSWERS.popitem(last=False)
            _COMPUTING.pop(key, None)
    return value


_SHARED_LOCK = threading.Lock()
_SHARED_ANSWERS: OrderedDict[Hashable, object] = OrderedDict()
_COMPUTING: dict[Hashable, threading.Lock] = {}
