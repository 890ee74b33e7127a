#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run the whole suite.
# This is the README's test command; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
# redis-server for the distributed-crawl tests (Debian package; Scrapyd comes from pip).
if ! command -v redis-server >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
python3 -m pip install -q -e '.[test]'
exec python3 -m pytest "$@"
