#!/usr/bin/env bash
# Makes sure the system libraries the build links against are present:
# libpq (Diesel's PostgreSQL driver). Installs them with apt only when missing.
set -euo pipefail

have_libpq() {
    if command -v dpkg >/dev/null 2>&1; then
        dpkg -s libpq-dev >/dev/null 2>&1 && return 0
    fi
    ldconfig -p 2>/dev/null | grep -q 'libpq\.so ' && return 0
    return 1
}

command -v cargo >/dev/null 2>&1 || { echo "error: cargo not found: install the Rust toolchain (https://rustup.rs) and retry." >&2; exit 1; }

if ! have_libpq; then
    command -v apt-get >/dev/null 2>&1 || { echo "error: libpq (PostgreSQL client library, with headers) is missing: install it with your package manager and retry." >&2; exit 1; }
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "error: libpq-dev is missing: run 'sudo apt-get install libpq-dev' and retry." >&2; exit 1; }
        sudo=sudo
    fi
    echo "installing libpq-dev with apt-get (one time)" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpq-dev >/dev/null \
        || { echo "error: apt-get could not install libpq-dev: install it by hand and retry." >&2; exit 1; }
fi
