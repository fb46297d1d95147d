#!/usr/bin/env bash
# Dependency direction: web -> persistence -> domain, and web -> record ->
# domain (the record crate has no database, web or async runtime). Fails when the domain crate
# depends (even indirectly) on I/O, database, web or PDF crates, or when the
# persistence crate depends on the web layer.
set -euo pipefail
cd "$(dirname "$0")/.."

deps_of() {
    cargo tree --offline -p "$1" -e normal --prefix none --format '{p}' 2>/dev/null \
        || cargo tree -p "$1" -e normal --prefix none --format '{p}'
}

fail=0
check() {
    local crate=$1; shift
    local tree; tree=$(deps_of "$crate" | awk '{print $1}' | sort -u)
    for banned in "$@"; do
        if grep -Fxq "$banned" <<<"$tree"; then
            echo "dependency direction violated: $crate depends on $banned (see docs/ARCHITECTURE.md)" >&2
            fail=1
        fi
    done
}

check ebr_domain diesel diesel_migrations pq-sys actix-web actix-rt tokio printpdf ebr_db ebr_web reqwest
check ebr_db actix-web actix-rt tokio printpdf ebr_web ebr_record
check ebr_record diesel diesel_migrations pq-sys actix-web actix-rt tokio reqwest ebr_db ebr_web
# Time is an argument: only the server clock reads the wall clock.
if readers=$(grep -rnE 'Utc::now\(|Local::now\(|SystemTime::now\(|Uuid::now_v7\(' crates/*/src | grep -v 'crates/ebr_web/src/clock.rs'); then
    echo "the wall clock is read outside crates/ebr_web/src/clock.rs (time must be passed in):" >&2
    echo "$readers" >&2
    fail=1
fi
[ $fail = 0 ] && echo "dependency direction: ok (domain <- persistence <- web); clock read only in ebr_web::clock"
exit $fail
