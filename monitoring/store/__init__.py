"""The DuckDB store, the only package that writes SQL text.

Entry points: :class:`~monitoring.store.connection.Store` (``Store(path).model(name)``
resolves a :class:`~monitoring.store.connection.ModelHandle`),
:class:`~monitoring.store.windows.WindowPlan`, :func:`~monitoring.store.ingest.import_file`
and :func:`~monitoring.store.ingest.log_records`; every table is declared in
:mod:`monitoring.store.tables`.
"""
