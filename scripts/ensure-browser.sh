#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (never a downloaded browser). Install it when missing and we can.
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x /usr/bin/chromium ]; then
  if [ "${CI:-false}" = "true" ]; then
    echo "FAIL: /usr/bin/chromium is required for browser tests in CI and could not be installed." >&2
    exit 1
  fi
  echo "NOTE: /usr/bin/chromium is missing; browser tests will be skipped."
fi
exit 0
