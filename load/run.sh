#!/usr/bin/env bash
# `make load`: a fresh PostgreSQL database with the demo and a synthetic nation, gunicorn
# with several workers, locust headless for LOAD_TIME, then the figures beside the targets.
# The server is stopped and the database dropped at the end, whatever happened.
#
# Settings (environment): LOAD_TIME (2m), LOAD_USERS (150), LOAD_SPAWN_RATE (10),
# LOAD_WORKERS (2 × cores + 1), LOAD_THREADS (1 per worker), LOAD_UNITS (300),
# LOAD_IMPORTERS (20), LOAD_PG (postgres://postgres@127.0.0.1:5432), LOAD_DB
# (safehands_load), LOAD_TARGET_RPS (200), LOAD_TARGET_P95_MS (300), VENV (.venv);
# LOAD_RESULTS: a folder to keep locust's stats CSVs and the server log in.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PG=${LOAD_PG:-postgres://postgres@127.0.0.1:5432}
DB=${LOAD_DB:-safehands_load}
CORES=$(nproc)
WORKERS=${LOAD_WORKERS:-$((2 * CORES + 1))}
THREADS=${LOAD_THREADS:-1}
TIME=${LOAD_TIME:-2m}
USERS=${LOAD_USERS:-150}
SPAWN=${LOAD_SPAWN_RATE:-10}
work=$(mktemp -d)
server=""

cleanup() {
  status=$?
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

echo "== fresh database $DB =="
psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
export DATABASE_URL="$PG/$DB"
"$VENV/bin/safehands" setup --demo --quiet
"$VENV/bin/python" load/prepare.py --out "$work/accounts.json" \
  --units "${LOAD_UNITS:-300}" --importers "${LOAD_IMPORTERS:-20}"

# The per-caller limits guard a real server against one runaway client; here every
# simulated person comes from one address, so they are lifted for the run.
export SAFEHANDS_API_RATE=1000000/m SAFEHANDS_PUBLIC_RATE=1000000/m
port=$("$VENV/bin/python" -c \
  'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "== gunicorn safehands.wsgi: $WORKERS workers × $THREADS thread(s) on port $port =="
"$VENV/bin/gunicorn" safehands.wsgi --bind "127.0.0.1:$port" --workers "$WORKERS" \
  --threads "$THREADS" --worker-tmp-dir /dev/shm --log-level warning \
  >"$work/gunicorn.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  if "$VENV/bin/python" -c "import urllib.request, sys; \
urllib.request.urlopen('http://127.0.0.1:$port/login/', timeout=2)" 2>/dev/null; then
    break
  fi
  kill -0 "$server" 2>/dev/null || { cat "$work/gunicorn.log"; exit 1; }
  sleep 1
done

echo "== locust: $USERS users, $SPAWN started per second, $TIME =="
SAFEHANDS_LOAD_ACCOUNTS="$work/accounts.json" "$VENV/bin/locust" -f load/locustfile.py \
  --headless --host "http://127.0.0.1:$port" -u "$USERS" -r "$SPAWN" -t "$TIME" \
  --csv "$work/stats" --only-summary --loglevel WARNING || true
if [ -n "${LOAD_RESULTS:-}" ]; then
  mkdir -p "$LOAD_RESULTS" && cp "$work"/stats_*.csv "$work/gunicorn.log" "$LOAD_RESULTS/"
fi
errors=$(grep -c "^Internal Server Error" "$work/gunicorn.log" || true)
if [ "$errors" != "0" ]; then
  echo "== server log: $errors internal server errors; the kinds of exception =="
  grep -E "^[A-Za-z_.]+(Error|Exception|Detected): " "$work/gunicorn.log" | sort | uniq -c \
    | sort -rn | head -5 || true
fi
"$VENV/bin/python" load/report.py "$work/stats_stats.csv" \
  --rps "${LOAD_TARGET_RPS:-200}" --p95 "${LOAD_TARGET_P95_MS:-300}" \
  --note "$USERS users, $TIME, gunicorn $WORKERS×$THREADS, PostgreSQL, $CORES cores"
