"""AppTest runs every page the way a running server does after its first request."""

import re
from collections.abc import Iterator

import pytest
from streamlit.runtime.pages_manager import PagesManager


@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep Streamlit's legacy ``pages/`` mode off, as it is once a server has routed once.

    AppTest switches the class-wide flag back on before every run (a ``pages/``
    folder sits beside app.py), which would make ``ui.router.require_router``
    rerun every run and swallow button clicks.
    """
    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
    yield


def shown(markdown: str) -> str:
    """What a reader sees of Markdown that holds escaped user text (``ui.text.md``)."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("\u2060", ""))
