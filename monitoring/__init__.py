"""Driftwatch's library: storage, windows, drift and figures. It never imports streamlit.

The pipeline hook is :func:`log_records`; everything else is reached through
its package (``monitoring.store``, ``monitoring.drift``, ``monitoring.timeline`` ...).
"""

from monitoring.errors import MonitoringError
from monitoring.store.ingest import log_records

__all__ = ["MonitoringError", "log_records"]
