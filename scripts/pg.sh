#!/usr/bin/env bash
# Project-local PostgreSQL cluster for development (`make run`) and tests
# (`make test`). Usage:
#   scripts/pg.sh up    NAME PORT [test]   start (initdb on first use); prints nothing else on success
#   scripts/pg.sh down  NAME               stop it
#   scripts/pg.sh reset NAME PORT [test]   stop, delete its data, start afresh
#   scripts/pg.sh url   NAME PORT          print its DATABASE_URL
#   scripts/pg.sh delete NAME              stop it and delete its data
#   scripts/pg.sh clean-tests NAME PORT    drop leftover per-test databases and templates
#   scripts/pg.sh up NAME PORT primary     a primary that streams WAL and commits
#                                          only once its standby `ebr_standby` applied it
#   scripts/pg.sh standby NAME PORT PRIMARY_PORT
#                                          a hot standby of the primary on PRIMARY_PORT
#                                          (pg_basebackup on first use), then start it
#   scripts/pg.sh kill NAME                kill -9 the postmaster and every backend (a lost machine)
#   scripts/pg.sh promote NAME             promote a standby to primary and wait until it is
# Clusters live in .pg/NAME (git-ignored). The `test` flavour runs with fsync
# off: fast, and acceptable only because test data is disposable.
set -euo pipefail

cmd=${1:-}; name=${2:-dev}; port=${3:-54329}; flavour=${4:-dev}
root=$(cd "$(dirname "$0")/.." && pwd)
pg_root="$root/.pg"
db_user=ebr
db_pass=ebr-local-only

die() { echo "error: $*" >&2; exit 1; }
say() { echo "pg[$name]: $*" >&2; }

find_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/local/pgsql/bin; do
        [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    command -v pg_ctl >/dev/null 2>&1 && [ -x "$(dirname "$(command -v pg_ctl)")/initdb" ] && { dirname "$(command -v pg_ctl)"; return 0; }
    return 1
}

ensure_server_packages() {
    if bin=$(find_bin); then return 0; fi
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL server binaries not found and apt-get is unavailable: install PostgreSQL 15 or newer, or set DATABASE_URL to an existing database."
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "PostgreSQL server binaries not found: run 'sudo apt-get install postgresql', or set DATABASE_URL."
        sudo=sudo
    fi
    say "PostgreSQL server not found; installing it with apt-get (one time)"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
        || die "apt-get could not install postgresql: install it by hand, or set DATABASE_URL."
    bin=$(find_bin) || die "postgresql was installed but pg_ctl was not found under /usr/lib/postgresql."
}

# Runs a command as the cluster owner: `postgres` when we are root (initdb
# refuses root), ourselves otherwise.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

owner_chown() {
    if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$@"; fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && { exec 3>&- 3<&- || true; return 0; }
    return 1
}

# Running means: a pid file whose postmaster is alive (not a zombie left by
# kill -9) and answers on its port.
is_running() {
    [ -f "$data/postmaster.pid" ] || return 1
    local pid state
    pid=$(head -1 "$data/postmaster.pid" 2>/dev/null || true)
    [ -n "$pid" ] || return 1
    state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
    [ -n "$state" ] && [ "${state#Z}" = "$state" ] || return 1
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$(sed -n '4p' "$data/postmaster.pid")" -t 5
}

# The cluster lives in .pg/NAME. When we are root and the checkout is not
# reachable by the `postgres` user (e.g. under /root), it lives in /var/tmp
# instead, in a folder named after the checkout, and .pg/NAME points at it.
resolve_paths() {
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        if ! runuser -u postgres -- test -x "$root" 2>/dev/null; then
            pg_root="/var/tmp/ebr-pg-$(printf '%s' "$root" | sha256sum | cut -c1-12)"
            mkdir -p "$pg_root" "$root/.pg"; chmod 755 "$pg_root"
            ln -sfn "$pg_root/$name" "$root/.pg/$name"
        fi
    fi
    base="$pg_root/$name"
    data="$base/data"
    sock="$base/run"
    log="$base/postgres.log"
}

init_cluster() {
    say "creating a new cluster in .pg/$name (port $port)"
    rm -rf "$base"
    mkdir -p "$data" "$sock"
    chmod 755 "$pg_root" "$base"
    owner_chown "$base"
    local pwfile; pwfile=$(mktemp)
    printf '%s\n' "$db_pass" > "$pwfile"; chmod 644 "$pwfile"
    as_owner "$bin/initdb" -D "$data" --username="$db_user" --pwfile="$pwfile" \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 \
        || { rm -f "$pwfile"; cat "$base/initdb.log" >&2; die "initdb failed (log above)."; }
    rm -f "$pwfile"
    {
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$sock'"
        echo "max_connections = 200"
        echo "shared_buffers = 128MB"
        echo "timezone = 'UTC'"
        if [ "$flavour" = test ]; then
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
        if [ "$flavour" = primary ]; then
            # Streaming replication with the GMP setting: a commit returns
            # only once the standby has applied it (docs/SCALING.md).
            echo "wal_level = replica"
            echo "max_wal_senders = 10"
            echo "wal_keep_size = '256MB'"
            echo "synchronous_standby_names = 'FIRST 1 (ebr_standby)'"
            echo "synchronous_commit = remote_apply"
        fi
    } >> "$data/postgresql.conf"
    touch "$base/.initialised"
}

start() {
    ensure_server_packages
    resolve_paths
    if [ ! -f "$base/.initialised" ] || [ ! -f "$data/PG_VERSION" ]; then
        init_cluster
    fi
    launch
}

# Starts the initialised cluster in $base on $port unless it runs already,
# and creates the `ebr` database on a primary's first start.
launch() {
    if is_running; then
        local running_port
        running_port=$(sed -n '4p' "$data/postmaster.pid" 2>/dev/null || true)
        [ "$running_port" = "$port" ] || die "cluster .pg/$name is running on port $running_port, not $port: run 'make db-down' first."
        return 0
    fi
    # Not running: a leftover pid file is stale (crash, kill -9, reboot).
    if [ -f "$data/postmaster.pid" ]; then
        say "removing stale postmaster.pid (the cluster was not shut down cleanly; PostgreSQL will recover)"
        rm -f "$data/postmaster.pid"
    fi
    if port_in_use "$port"; then
        var=EBR_PG_PORT; [ "${MAKE_TARGET:-run}" = test ] && var=EBR_TEST_PG_PORT
        die "port $port is in use by another program: stop it, or choose another port, e.g. 'make ${MAKE_TARGET:-run} $var=55432'."
    fi
    mkdir -p "$sock"; owner_chown "$sock"
    # After a crash, orphaned backends may hold the old shared memory for a few
    # seconds; PostgreSQL refuses to start until they are gone, so retry.
    local attempt
    for attempt in 1 2 3 4 5 6; do
        if as_owner "$bin/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null 2>&1; then
            break
        fi
        [ "$attempt" = 6 ] && { tail -20 "$log" >&2 || true; die "PostgreSQL did not start (log: .pg/$name/postgres.log)."; }
        rm -f "$data/postmaster.pid"
        sleep 2
    done
    # Create the application database on first start (a standby has its
    # primary's, and could not create one).
    [ -f "$data/standby.signal" ] && return 0
    if ! PGPASSWORD=$db_pass "$bin/psql" -h 127.0.0.1 -p "$port" -U "$db_user" -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = 'ebr'" | grep -q 1; then
        PGPASSWORD=$db_pass "$bin/psql" -h 127.0.0.1 -p "$port" -U "$db_user" -d postgres -q -c "SET synchronous_commit = local" -c "CREATE DATABASE ebr" >/dev/null
    fi
}

stop() {
    bin=$(find_bin) || return 0
    resolve_paths
    [ -d "$data" ] || return 0
    if is_running; then
        as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
        say "stopped"
    fi
}

# Drops the per-test databases and templates a previous (possibly killed) test
# run left behind, so each run migrates its template afresh.
clean_tests() {
    bin=$(find_bin) || return 0
    local dbs
    dbs=$(PGPASSWORD=$db_pass "$bin/psql" -h 127.0.0.1 -p "$port" -U "$db_user" -d postgres -tAc \
        "SELECT datname FROM pg_database WHERE datname LIKE 'ebr\_test\_%' OR datname LIKE 'ebr\_tpl\_%'")
    for db in $dbs; do
        PGPASSWORD=$db_pass "$bin/psql" -h 127.0.0.1 -p "$port" -U "$db_user" -d postgres -qc \
            "ALTER DATABASE \"$db\" IS_TEMPLATE false" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    done
}

# A hot standby of the primary on $primary_port: copied with pg_basebackup on
# first use, streaming as `ebr_standby` (the name the primary waits for).
standby() {
    ensure_server_packages
    resolve_paths
    if [ ! -f "$base/.initialised" ] || [ ! -f "$data/PG_VERSION" ]; then
        say "copying the primary on port $primary_port into .pg/$name (pg_basebackup)"
        rm -rf "$base"
        mkdir -p "$base" "$sock"
        chmod 755 "$pg_root" "$base"
        owner_chown "$base"
        as_owner env PGPASSWORD="$db_pass" "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U "$db_user" \
            -D "$data" -X stream -c fast >"$base/basebackup.log" 2>&1 \
            || { cat "$base/basebackup.log" >&2; die "pg_basebackup from port $primary_port failed (log above); is the primary up with the 'primary' flavour?"; }
        {
            echo "unix_socket_directories = '$sock'"
            echo "hot_standby = on"
            # Once promoted it has no standby of its own: it must not wait for one.
            echo "synchronous_standby_names = ''"
            echo "primary_conninfo = 'host=127.0.0.1 port=$primary_port user=$db_user password=$db_pass application_name=ebr_standby'"
        } | as_owner tee -a "$data/postgresql.conf" >/dev/null
        as_owner touch "$data/standby.signal"
        touch "$base/.initialised"
    fi
    launch
}

# kill -9 of the postmaster and all its processes: the machine is gone, no
# shutdown checkpoint, no goodbye to clients.
kill_cluster() {
    resolve_paths
    [ -f "$data/postmaster.pid" ] || die "cluster .pg/$name is not running"
    local pid; pid=$(head -1 "$data/postmaster.pid")
    local children; children=$(pgrep -P "$pid" || true)
    kill -9 "$pid" $children 2>/dev/null || true
    say "killed (kill -9 of postmaster $pid and its $(echo $children | wc -w) processes)"
}

promote() {
    bin=$(find_bin) || die "PostgreSQL binaries not found"
    resolve_paths
    as_owner "$bin/pg_ctl" -D "$data" -w -t 60 promote >/dev/null
    say "promoted to primary"
}

case "$cmd" in
    up) start ;;
    standby) primary_port=${4:?usage: scripts/pg.sh standby NAME PORT PRIMARY_PORT}; standby ;;
    kill) kill_cluster ;;
    promote) promote ;;
    down) stop ;;
    reset) stop; resolve_paths; rm -rf "$base"; start ;;
    delete) stop; resolve_paths; rm -rf "$base" ;;
    clean-tests) clean_tests ;;
    url) echo "postgres://$db_user:$db_pass@127.0.0.1:$port/ebr" ;;
    *) die "usage: scripts/pg.sh up|down|reset|delete|url|clean-tests|standby|kill|promote NAME PORT [test|primary|PRIMARY_PORT]" ;;
esac
