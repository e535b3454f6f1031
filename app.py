"""Driftwatch: the router. Page config, the login gate, the shared sidebar, then the chosen page."""

from pathlib import Path

import streamlit as st

from ui import auth, data, page
from ui.router import require_router
from ui.sidebar import render_sidebar

# A file served by the app itself: a ":material/…:" page icon makes every browser fetch
# the favicon from a Google CDN, which a self-hosted tool must not do.
ICON = Path(__file__).parent / "ui" / "assets" / "icon.svg"
BRAND = Path(__file__).parent / "ui" / "brand.svg"

require_router()
st.set_page_config(page_title="Driftwatch", page_icon=str(ICON), layout="wide")
st.logo(str(BRAND), size="large")  # the brand sits above the page navigation

actor = auth.gate()
with page.errors():  # a busy or broken database is said in words, here as on every page
    render_sidebar(data.store())
auth.sidebar(actor)
data.freeze_heap()
st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/feature_drift.py", title="Feature drift", icon=":material/bar_chart:"),
        st.Page("pages/upload.py", title="Upload & compare", icon=":material/upload_file:"),
        st.Page("pages/performance.py", title="Performance", icon=":material/monitoring:"),
        st.Page("pages/timeline.py", title="Timeline", icon=":material/timeline:"),
        st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:"),
        st.Page("pages/review_pack.py", title="Review pack", icon=":material/folder_zip:"),
        st.Page("pages/data.py", title="Data", icon=":material/table:"),
    ]
).run()
