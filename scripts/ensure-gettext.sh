#!/usr/bin/env bash
# The French catalogue is extracted with GNU gettext's xgettext (Django's makemessages; the completeness test
# runs it). Install Debian's gettext when missing and we can.
set -uo pipefail
if command -v xgettext >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing GNU gettext for the French catalogue..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null 2>&1 \
    || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null)
fi
if ! command -v xgettext >/dev/null 2>&1; then
  if [ "${CI:-false}" = "true" ]; then
    echo "FAIL: GNU gettext (xgettext) is required to check the French catalogue in CI and could not be installed." >&2
    exit 1
  fi
  echo "NOTE: GNU gettext is missing; the French catalogue's completeness test will be skipped."
fi
exit 0
