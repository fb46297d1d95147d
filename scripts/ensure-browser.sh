#!/usr/bin/env bash
# Makes sure Debian's chromium and chromium-driver (the headless browser the
# browser tests drive) are installed, and installs them with apt when missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "error: the browser tests need chromium and chromedriver; install them with your package manager and retry." >&2; exit 1; }
sudo=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: run 'sudo apt-get install chromium chromium-driver' and retry." >&2; exit 1; }
    sudo=sudo
fi
echo "installing chromium and chromium-driver with apt-get for the browser tests (one time)" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
    || { echo "error: apt-get could not install chromium chromium-driver: install them by hand and retry." >&2; exit 1; }
