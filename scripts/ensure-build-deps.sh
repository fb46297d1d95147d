#!/usr/bin/env bash
# Makes sure the system packages the build and the tests need are present, and
# installs the missing ones with apt (only when missing):
#   libpq-dev          Diesel's PostgreSQL driver links against libpq
#   poppler-utils      pdftotext/pdftoppm read batch-record PDFs back in tests
#   fonts-dejavu-core  Latin, Greek and symbols (µ ± ≤ ° ×) on the tablet pages
#   fonts-wqy-microhei Chinese on the tablet pages (browser tests, screenshots);
#                      batch-record PDFs use the copies vendored in crates/ebr_record/fonts
# With the argument `browser`, also (for the browser tests):
#   chromium chromium-driver  Debian's headless browser and its WebDriver
set -euo pipefail

command -v cargo >/dev/null 2>&1 || { echo "error: cargo not found: install the Rust toolchain (https://rustup.rs) and retry." >&2; exit 1; }

have_libpq() {
    if command -v dpkg >/dev/null 2>&1; then
        dpkg -s libpq-dev >/dev/null 2>&1 && return 0
    fi
    ldconfig -p 2>/dev/null | grep -q 'libpq\.so ' && return 0
    return 1
}

missing=""
have_libpq || missing="$missing libpq-dev"
{ command -v pdftotext && command -v pdftoppm && command -v pdfinfo; } >/dev/null 2>&1 || missing="$missing poppler-utils"
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$missing fonts-dejavu-core"
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$missing fonts-wqy-microhei"
if [ "${1:-}" = browser ]; then
    { command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || missing="$missing chromium chromium-driver"
fi
[ -z "$missing" ] && exit 0

command -v apt-get >/dev/null 2>&1 || { echo "error: missing system packages:$missing; install them with your package manager and retry." >&2; exit 1; }
sudo=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: missing system packages: run 'sudo apt-get install$missing' and retry." >&2; exit 1; }
    sudo=sudo
fi
echo "installing$missing with apt-get (one time)" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null \
    || { echo "error: apt-get could not install$missing: install them by hand and retry." >&2; exit 1; }
