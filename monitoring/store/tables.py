"""Every table Driftwatch creates, and when: the metadata once per database file per process.

Metadata tables (models, imports, stored results, slices, notes, the audit log, alerts) are
created by :func:`ensure` the first time this process connects to a file, so no read
path ever runs DDL. A model's record table and its slice table are typed from
its spec and created when its first import (or first upload) arrives.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb

from monitoring.schema import ModelSpec
from monitoring.store.sql import quote_ident

IMPORT_COLUMN = "_dw_import"
SLICE_COLUMN = "_dw_slice"

METADATA = """
CREATE TABLE IF NOT EXISTS dw_models (
    name VARCHAR PRIMARY KEY,
    table_name VARCHAR NOT NULL UNIQUE,
    spec VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS dw_import_ids;
CREATE TABLE IF NOT EXISTS dw_imports (
    id BIGINT PRIMARY KEY,
    model VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    content_hash VARCHAR,
    row_count BIGINT NOT NULL,
    ts_min TIMESTAMP,
    ts_max TIMESTAMP,
    imported_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS dw_drift_runs (
    key VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    detector VARCHAR NOT NULL,
    config VARCHAR NOT NULL,
    reference_start TIMESTAMP NOT NULL,
    reference_end TIMESTAMP NOT NULL,
    current_start TIMESTAMP NOT NULL,
    current_end TIMESTAMP NOT NULL,
    rows_reference BIGINT NOT NULL,
    rows_current BIGINT NOT NULL,
    drifted BOOLEAN,
    watermark BIGINT NOT NULL,
    engine_version INTEGER NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    report VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS dw_drift_columns (
    key VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    test VARCHAR,
    statistic DOUBLE,
    p_value DOUBLE,
    threshold DOUBLE,
    psi DOUBLE,
    jensen_shannon DOUBLE,
    wasserstein_normed DOUBLE,
    effect DOUBLE,
    n_reference BIGINT NOT NULL,
    n_current BIGINT NOT NULL,
    missing_reference DOUBLE,
    missing_current DOUBLE,
    unseen_share DOUBLE,
    drifted BOOLEAN
);
CREATE TABLE IF NOT EXISTS dw_timeline_windows (
    config_key VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    rows BIGINT NOT NULL,
    status VARCHAR NOT NULL,
    threshold DOUBLE,
    drifted BOOLEAN,
    watermark BIGINT NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    volume_low DOUBLE,
    volume_high DOUBLE,
    quality BOOLEAN,
    calibration VARCHAR NOT NULL,
    PRIMARY KEY (config_key, window_start, window_end)
);
CREATE TABLE IF NOT EXISTS dw_timeline_cells (
    config_key VARCHAR NOT NULL,
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    position INTEGER NOT NULL,
    feature VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    n BIGINT NOT NULL,
    missing DOUBLE,
    statistic DOUBLE,
    p_value DOUBLE,
    effect DOUBLE,
    drifted BOOLEAN,
    score DOUBLE,
    threshold DOUBLE,
    excess DOUBLE,
    missing_limit DOUBLE,
    novel DOUBLE,
    novel_limit DOUBLE,
    quality BOOLEAN
);
CREATE SEQUENCE IF NOT EXISTS dw_slice_ids;
CREATE TABLE IF NOT EXISTS dw_slices (
    id BIGINT PRIMARY KEY,
    model VARCHAR NOT NULL,
    name VARCHAR,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    ts_min TIMESTAMP,
    ts_max TIMESTAMP,
    missing VARCHAR NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    draft BOOLEAN NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS dw_annotation_ids;
CREATE TABLE IF NOT EXISTS dw_annotations (
    id BIGINT PRIMARY KEY,
    model VARCHAR NOT NULL,
    noted_at TIMESTAMP NOT NULL,
    text VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS dw_audit_ids;
CREATE TABLE IF NOT EXISTS dw_audit (
    id BIGINT PRIMARY KEY,
    happened_at TIMESTAMP NOT NULL,
    user_name VARCHAR NOT NULL,
    role VARCHAR,
    action VARCHAR NOT NULL,
    model VARCHAR,
    object VARCHAR NOT NULL
);
-- Alerts (store/alerts.py): one row per alert from its opening to its resolution; the
-- deliveries tried for it; silences (store/silences.py); and one row per run of `check`
-- (store/check_runs.py).
CREATE TABLE IF NOT EXISTS dw_alerts (
    id VARCHAR PRIMARY KEY,
    model VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    measured VARCHAR NOT NULL,
    window_start TIMESTAMP,
    window_end TIMESTAMP,
    first_window_start TIMESTAMP,
    link VARCHAR,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    last_notified TIMESTAMP,
    pending_event VARCHAR,
    acknowledged_by VARCHAR,
    acknowledged_at TIMESTAMP
);
CREATE SEQUENCE IF NOT EXISTS dw_delivery_ids;
CREATE TABLE IF NOT EXISTS dw_alert_deliveries (
    id BIGINT PRIMARY KEY,
    alert_id VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    attempt INTEGER NOT NULL,
    target VARCHAR,
    outcome VARCHAR NOT NULL,
    status INTEGER,
    error VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS dw_silence_ids;
CREATE TABLE IF NOT EXISTS dw_silences (
    id BIGINT PRIMARY KEY,
    model VARCHAR NOT NULL,
    rule VARCHAR,
    until TIMESTAMP NOT NULL,
    reason VARCHAR NOT NULL,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE SEQUENCE IF NOT EXISTS dw_check_ids;
CREATE TABLE IF NOT EXISTS dw_check_runs (
    id BIGINT PRIMARY KEY,
    model VARCHAR NOT NULL,
    ran_at TIMESTAMP NOT NULL,
    window_start TIMESTAMP,
    window_end TIMESTAMP,
    outcome VARCHAR NOT NULL,
    exit_code INTEGER NOT NULL,
    firing INTEGER NOT NULL,
    message VARCHAR NOT NULL
);
-- Added after the first release: files made before get the column here.
ALTER TABLE dw_imports ADD COLUMN IF NOT EXISTS batch_id VARCHAR;
"""

# Tables that only cache results, with a column their current layout has: an older file's
# table without it is dropped and made again (its results are recomputed when asked for).
CACHES = {"dw_timeline_windows": "calibration", "dw_timeline_cells": "quality"}

_READY: set[tuple[int, int]] = set()  # (device, inode) of files whose metadata exists
_READY_LOCK = threading.Lock()


def ensure(con: duckdb.DuckDBPyConnection, path: Path, created: bool) -> None:
    """Create the metadata tables through ``con`` unless this process already did for ``path``.

    Files are known by device and inode, so a database renamed into place (the
    demo is built under another name) is seen afresh. A connection that is
    read-only creates nothing (reads of tables that exist still work). ``created``: the
    connection has just created the file, whose inode may be that of a file
    deleted earlier, so it is never taken as known.
    """
    stat = os.stat(path)
    key = (stat.st_dev, stat.st_ino)
    if key in _READY and not created:
        return
    with _READY_LOCK:
        if key in _READY and not created:
            return
        if _read_only(con):
            return  # nothing can be created; ask again once the file is writable
        if not created:  # a new file holds no tables of an older layout
            _drop_stale_caches(con)
        con.execute(METADATA)
        _READY.add(key)


def _drop_stale_caches(con: duckdb.DuckDBPyConnection) -> None:
    present = con.execute(
        "SELECT table_name, list(column_name) FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND list_contains($tables, table_name) GROUP BY 1",
        {"tables": list(CACHES)},
    ).fetchall()
    for table, columns in present:
        if CACHES[table] not in columns:
            con.execute(f"DROP TABLE {quote_ident(table)}")


def _read_only(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT current_setting('access_mode')").fetchall()
    return bool(row) and row[0][0] == "read_only"


def records_table(model: str) -> str:
    """The (unquoted) name of a model's record table."""
    return f"records:{model}"


def slice_table(model: str) -> str:
    """The (unquoted) name of a model's table of uploaded slices."""
    return f"slices:{model}"


def create_records_table(con: duckdb.DuckDBPyConnection, spec: ModelSpec) -> str:
    """Create the model's record table, typed from its spec; return its quoted name."""
    table = quote_ident(records_table(spec.name))
    con.execute(f"CREATE TABLE {table} ({_typed_columns(spec)}, {IMPORT_COLUMN} BIGINT NOT NULL)")
    return table


def create_slice_table(con: duckdb.DuckDBPyConnection, spec: ModelSpec) -> str:
    """The model's slice table (every spec column nullable), created on first use; quoted."""
    table = quote_ident(slice_table(spec.name))
    columns = f"{_typed_columns(spec)}, {SLICE_COLUMN} BIGINT NOT NULL"
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
    return table


def _typed_columns(spec: ModelSpec) -> str:
    return ", ".join(f"{quote_ident(c)} {spec.sql_type(c)}" for c in spec.columns())
