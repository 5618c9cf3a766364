# Shared by scripts/start.sh and scripts/test.sh: a virtual environment in .venv
# with the project's requirements, on a fresh Debian machine with Python 3.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {  # apt_install PACKAGE... (only what is missing)
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

# The briefing report (ocops/report) draws its charts and prints its PDF with Chromium
# (driven by kaleido) and sets its text in DejaVu Sans: both scripts install them.
REPORT_PACKAGES=(chromium fonts-dejavu-core)

make_venv() {  # make_venv REQUIREMENTS_FILE
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt_install python3-venv
  fi
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r "$1"
}
