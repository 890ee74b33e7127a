#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run the whole suite.
# This is the README's test command; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages: redis-server for the distributed-crawl tests, chromium for rendering
# (scrapy-playwright drives it; `playwright install` cannot download here) and for the
# report.html test. Scrapyd comes from pip.
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null || missing+=(default-jre-headless)  # Spark (linkspider archive)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -m pip install -q -e '.[test]'
exec python3 -m pytest "$@"
