#!/usr/bin/env bash
# The fast test loop at the minimum versions: every dependency pinned to the floor that
# pyproject.toml declares (constraints/min-versions.txt), in a fresh virtualenv.
#
#   bash tests/run-min-versions.sh [pytest arguments]
#
# MIN_VERSIONS_VENV names the virtualenv (default: $TMPDIR/linkspider-min-versions); it
# is made anew on every run. Python 3.11 (PYTHON to choose another interpreter).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${MIN_VERSIONS_VENV:-${TMPDIR:-/tmp}/linkspider-min-versions}"
rm -rf "$venv"
"${PYTHON:-python3.11}" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e '.[test]' -c constraints/min-versions.txt
"$venv/bin/python" -m pip list --format=freeze
exec "$venv/bin/python" -m pytest -m "not e2e" "$@"
