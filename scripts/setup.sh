#!/usr/bin/env bash
# Prepare this checkout on a fresh Debian machine: a virtualenv in .venv with the
# pinned packages of the requirements file given as $1, and Debian's Chromium
# (for static chart export and browser tests) when running as root.
# Re-running is cheap: packages are installed again only when a requirements file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}
python=${PYTHON:-$(command -v python3.11 || command -v python3)}

as_root_apt() {  # apt-get install, only where we may
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "Driftwatch needs Python 3.11 (found $("$python" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/pip ]; then
  rm -rf .venv
  if ! "$python" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    as_root_apt python3-venv || { echo "python3 -m venv failed: install python3-venv" >&2; exit 1; }
    "$python" -m venv .venv
  fi
fi
stamp=".venv/.installed-$(basename "$requirements")-$(cat requirements*.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "installing $requirements into .venv …"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$requirements"
  rm -f .venv/.installed-"$(basename "$requirements")"-*
  touch "$stamp"
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium (static chart export, browser tests) …"
  as_root_apt chromium || echo "note: no Chromium installed (not root or no apt-get): PNG/SVG/PDF" \
    "export and the browser tests need one; install your distribution's 'chromium' package." >&2
fi
