#!/usr/bin/env bash
# Install ocops in .venv and start the dashboard (SQLite default; the
# illustrative sample loads on first start). Extra arguments go to streamlit.
source "$(dirname "$0")/_env.sh"
apt_install "${REPORT_PACKAGES[@]}"
make_venv requirements.txt
exec .venv/bin/streamlit run dashboard.py --server.headless true --browser.gatherUsageStats false "$@"
