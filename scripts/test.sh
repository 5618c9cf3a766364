#!/usr/bin/env bash
# Install ocops with its test tools (and Debian's Chromium for the browser
# tests) in .venv, then run the whole test suite. Extra arguments go to pytest.
source "$(dirname "$0")/_env.sh"
apt_install "${REPORT_PACKAGES[@]}" sqlite3
make_venv requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
