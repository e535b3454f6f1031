"""A database whose every user-set name carries markup, and checks that outputs show it as text.

The payloads are the ones an attacker (or a careless user) plants: a script
tag, an image with ``onerror``, a quote that closes an attribute and opens an
``<svg onload>``, and Markdown links and images pointing at ``evil.test``.
They go into the model's name and description, every column name, category
values, the class labels, a saved slice's name and file name, and a note.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from monitoring import log_records
from monitoring.schema import ModelSpec, ReferenceWindow
from monitoring.store import slices
from monitoring.store.annotations import add_annotation
from monitoring.store.connection import Store
from monitoring.store.slices import SliceInfo, Upload

EVIL_HOST = "evil.test"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
SVG = '"><svg onload=alert(3)>'
LINK = f"[x](https:{EVIL_HOST}/a)"
IMAGE = f"![y](https:{EVIL_HOST}/b.png)"
# Everything at once; short enough for a note (200 characters).
PAYLOAD = f"{SCRIPT}{IMG}{SVG}{LINK}{IMAGE} -- :smile:"
# A slice name has at most 120 characters.
SHORT = f"{SCRIPT}{IMG}{SVG}{IMAGE}"
# A browser sends a file's base name: no "/" in it.
FILE = f"{IMG}{SVG}[x](https:{EVIL_HOST})![y](https:{EVIL_HOST})<script>alert(1).csv"
RAW = (SCRIPT, IMG, SVG, LINK, IMAGE, "<script>", "[x](https:", "![y](https:")


@dataclass(frozen=True)
class Hostile:
    """The hostile database and the names planted in it."""

    path: Path
    spec: ModelSpec
    slice: SliceInfo


def hostile_spec() -> ModelSpec:
    """A binary model whose name, description, columns and labels all carry the payload."""
    return ModelSpec(
        name=f"m {PAYLOAD}",
        task="binary",
        description=f"d {PAYLOAD}",
        timestamp=f"t {PAYLOAD}",
        prediction=f"p {PAYLOAD}",
        scores=(f"s {PAYLOAD}",),
        target=f"y {PAYLOAD}",
        positive_label=f"yes {PAYLOAD}",
        numeric_features=(f"n {PAYLOAD}",),
        categorical_features=(f"c {PAYLOAD}",),
        reference=ReferenceWindow(dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1)),
    )


def hostile_records(spec: ModelSpec, rows: int, start: str, shift: float = 0.0) -> pd.DataFrame:
    """``rows`` records, two categories and two labels, all of them payloads."""
    rng = np.random.default_rng(rows)
    labels = np.where(rng.random(rows) < 0.4, f"yes {PAYLOAD}", f"no {PAYLOAD}")
    categories = np.where(rng.random(rows) < 0.5 + shift / 4, f"v {PAYLOAD}", f"w {PAYLOAD}")
    return pd.DataFrame(
        {
            spec.timestamp: pd.date_range(start, periods=rows, freq="3h"),
            spec.numeric_features[0]: rng.normal(shift, 1, rows),
            spec.categorical_features[0]: categories,
            spec.prediction: labels,
            spec.scores[0]: np.where(labels == f"yes {PAYLOAD}", 0.8, 0.2),
            spec.target: labels,
        }
    )


def build_hostile(path: Path) -> Hostile:
    """A database with the hostile model: January (reference), February, a slice and a note."""
    spec = hostile_spec()
    log_records(hostile_records(spec, 240, "2024-01-01"), spec, db=path)
    log_records(hostile_records(spec, 240, "2024-02-01", shift=1.0), spec, db=path)
    store = Store(path)
    upload = Upload(FILE, "0" * 64, hostile_records(spec, 80, "2024-03-01", shift=0.5))
    saved = slices.write_slice(store, spec, upload, f"s{SHORT}")
    add_annotation(store, spec.name, dt.date(2024, 2, 10), f"note {PAYLOAD}")
    return Hostile(path, spec, saved)


class _Elements(HTMLParser):
    """Every start tag of an HTML document with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def html_problems(text: str, scripts: int | None = None) -> list[str]:
    """What in an HTML document a planted payload made into markup (empty: nothing).

    ``scripts`` is how many ``<script>`` elements the document itself has.
    """
    parser = _Elements()
    parser.feed(text)
    found = []
    for tag, attrs in parser.tags:
        if tag in ("img", "svg", "iframe", "a", "object", "embed"):
            found.append(f"<{tag} {attrs}>")
        found += [f"<{tag} {name}=…>" for name in attrs if name.startswith("on")]
        found += [f"<{tag}> links to {v}" for v in attrs.values() if v and EVIL_HOST in v]
    count = sum(1 for tag, _ in parser.tags if tag == "script")
    if scripts is not None and count != scripts:
        found.append(f"{count} <script> elements, expected {scripts}")
    return found


def svg_problems(text: str) -> list[str]:
    """What in an SVG image a planted payload made into markup (empty: nothing)."""
    found = []
    for element in ET.fromstring(text).iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in ("script", "foreignObject", "image", "img"):
            found.append(f"<{tag}>")
        for name, value in element.attrib.items():
            if name.rsplit("}", 1)[-1].startswith("on"):
                found.append(f"<{tag} {name}=…>")
            if EVIL_HOST in value:
                found.append(f"<{tag}> links to {value}")
    return found


def markdown_problems(text: str) -> list[str]:
    """What a CommonMark renderer makes of planted payloads in a Markdown document."""
    from markdown_it import MarkdownIt

    return html_problems(MarkdownIt("commonmark").render(text), scripts=0)


# A "<" that opens anything but the few tags Driftwatch's own figure text uses.
_FOREIGN_TAG = re.compile(r"<(?!(?:/?(?:b|i|sup|sub|extra)|br)>)")


def figure_problems(figure: dict[str, object]) -> list[str]:
    """Strings of a figure (as JSON) in which Plotly would find markup it was not given by us."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            if _FOREIGN_TAG.search(value):
                found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(figure)
    return found
