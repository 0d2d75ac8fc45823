#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the rrmm test suite (tests/db): run as root on Debian.
#
#   export RRMM_TEST_POSTGRES_URL="$(sudo scripts/postgres.sh)"
#
# Installs PostgreSQL from Debian's packages when no server binaries are present (apt-get update;
# apt-get install -y postgresql), creates a cluster owned by the postgres user in $RRMM_PG_DIR
# (default /tmp/rrmm-postgres-54329), starts it on 127.0.0.1 port $RRMM_PG_PORT (default 54329) with
# trust authentication on loopback (a test cluster only: never put real data in it), creates the
# database rrmm_test, and prints its SQLAlchemy URL -- the only thing it writes on stdout.
# Running it again reuses the cluster (starting it if it stopped). On failure it writes the reason on
# stderr and exits 1.  Stop it with:  runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D
# "$RRMM_PG_DIR/data" stop   (or delete the directory after stopping).
set -u -o pipefail

PORT="${RRMM_PG_PORT:-54329}"
BASE="${RRMM_PG_DIR:-/tmp/rrmm-postgres-$PORT}"
DATA="$BASE/data"
LOG="$BASE/server.log"
DB=rrmm_test
URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"

fail() {
    echo "postgres.sh: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run this as root (it installs packages and runs the server as the postgres user)"
case "$PORT" in '' | *[!0-9]*) fail "RRMM_PG_PORT must be a port number, got '$PORT'" ;; esac

LIBDIR="${RRMM_PG_LIBDIR:-/usr/lib/postgresql}"

server_bin() {
    # The bin directory of the newest installed server version (sort -V: 9 < 10), or nothing.
    local initdb
    initdb="$(ls -d "$LIBDIR"/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$initdb" ] && [ -x "$(dirname "$initdb")/pg_ctl" ] && dirname "$initdb"
    return 0
}

BIN="$(server_bin)"
if [ -z "$BIN" ]; then
    command -v apt-get >/dev/null 2>&1 ||
        fail "PostgreSQL is not installed and apt-get is not available (not Debian?); install a PostgreSQL server yourself"
    export DEBIAN_FRONTEND=noninteractive
    echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
    apt-get update >&2 || fail "apt-get update failed (no network or no reachable mirror?)"
    apt-get install -y postgresql >&2 || fail "apt-get install -y postgresql failed"
    BIN="$(server_bin)"
    [ -n "$BIN" ] || fail "postgresql installed but no $LIBDIR/*/bin/initdb found"
fi

id postgres >/dev/null 2>&1 || fail "no 'postgres' user (the Debian postgresql package creates it)"

as_postgres() {
    if command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
    fi
}

mkdir -p "$BASE" || fail "cannot create $BASE"
chown postgres: "$BASE" && chmod 700 "$BASE" || fail "cannot give $BASE to the postgres user"

if [ ! -s "$DATA/PG_VERSION" ]; then
    [ -e "$DATA" ] && { rm -rf "$DATA" || fail "cannot remove the incomplete cluster in $DATA"; }
    as_postgres "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --no-locale \
        >"$BASE/initdb.log" 2>&1 || {
        cat "$BASE/initdb.log" >&2
        fail "initdb failed for $DATA"
    }
fi

if ! as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $BASE" start >"$BASE/pg_ctl.log" 2>&1 || {
        cat "$BASE/pg_ctl.log" >&2
        tail -n 20 "$LOG" >&2 2>/dev/null
        fail "the server in $DATA did not start on 127.0.0.1:$PORT (port taken? see $LOG)"
    }
fi

PSQL="$BIN/psql"
[ -x "$PSQL" ] || PSQL="$(command -v psql)" || fail "no psql client found"
psql_() {
    as_postgres "$PSQL" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

ready=""
for _ in $(seq 1 30); do
    if psql_ -tAc "SELECT 1" >/dev/null 2>&1; then
        ready=yes
        break
    fi
    sleep 1
done
[ -n "$ready" ] || fail "the server in $DATA does not answer on 127.0.0.1:$PORT (see $LOG)"

exists="$(psql_ -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ||
    fail "cannot query the server on 127.0.0.1:$PORT"
if [ "$exists" != "1" ]; then
    psql_ -c "CREATE DATABASE $DB" >&2 || fail "cannot create the database $DB"
fi

echo "$URL"
