#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/web/test_browser.py drives it with Playwright; Playwright's
# own browser download cannot work offline). Installs the `chromium` package when /usr/bin/chromium is
# missing; as root on Debian only. Prints nothing on stdout; on failure the reason on stderr and exit 1.
set -u -o pipefail
[ -x /usr/bin/chromium ] && exit 0
fail() { echo "chromium.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "Chromium is missing and installing it needs root (apt-get install chromium)"
command -v apt-get >/dev/null 2>&1 || fail "Chromium is missing and apt-get is not available (not Debian?)"
export DEBIAN_FRONTEND=noninteractive
echo "chromium.sh: installing Chromium from Debian's packages" >&2
apt-get update >&2 || fail "apt-get update failed (no network or no reachable mirror?)"
apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2 || fail "apt-get install chromium failed"
[ -x /usr/bin/chromium ] || fail "the chromium package installed no /usr/bin/chromium"
