"""Presentation that is not Streamlit: text, tables, links, figures, exports and review packs.

Entry points: :func:`~monitoring.report.export.export_figure`,
:func:`~monitoring.report.review.drift_pack` with :func:`~monitoring.report.pack.pack_zip`,
and the pure figure builders of :mod:`monitoring.report.figures`.
"""
