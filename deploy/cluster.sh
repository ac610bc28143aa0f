#!/usr/bin/env bash
# Try the scaled-out setup on one machine: N app instances (default 2) behind nginx, sharing
# PostgreSQL as the truth and Redis for fan-out. Ctrl-C stops everything.
#
#   deploy/cluster.sh                       # http://127.0.0.1:8080
#   INSTANCES=3 PORT=9000 deploy/cluster.sh
#
# EXCHANGE_DATABASE_URL defaults to the local PostgreSQL database `story_exchange` (created if
# missing); EXCHANGE_REDIS_URL to the local Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

INSTANCES=${INSTANCES:-2}
PORT=${PORT:-8080}
FIRST_APP_PORT=${FIRST_APP_PORT:-8101}
RUNDIR=${RUNDIR:-$PWD/var/cluster}
export EXCHANGE_DATABASE_URL=${EXCHANGE_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/story_exchange}
export EXCHANGE_REDIS_URL=${EXCHANGE_REDIS_URL:-redis://127.0.0.1:6379/0}
export EXCHANGE_PUBLIC_URL=${EXCHANGE_PUBLIC_URL:-http://127.0.0.1:$PORT}
export EXCHANGE_LOG_FORMAT=${EXCHANGE_LOG_FORMAT:-json}
export EXCHANGE_FORWARDED_ALLOW_IPS=127.0.0.1

command -v nginx >/dev/null 2>&1 || {
  echo "Installing Debian's nginx..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
}
make --no-print-directory install >/dev/null 2>&1 || { echo "make install failed" >&2; exit 1; }
mkdir -p "$RUNDIR"

# One shared secret, so a cookie signed by one instance is good on every other.
if [ -z "${EXCHANGE_SECRET_KEY:-}" ]; then
  [ -f "$RUNDIR/secret_key" ] || .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(48))" > "$RUNDIR/secret_key"
  export EXCHANGE_SECRET_KEY=$(cat "$RUNDIR/secret_key")
fi

database=$(.venv/bin/python -c "from sqlalchemy.engine import make_url; import os; print(make_url(os.environ['EXCHANGE_DATABASE_URL']).database)")
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$database'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE \"$database\""
.venv/bin/exchange db upgrade
.venv/bin/exchange demo

pids=()
cleanup() {
  trap - INT TERM EXIT
  [ -f "$RUNDIR/nginx.pid" ] && kill "$(cat "$RUNDIR/nginx.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped."
}
trap cleanup INT TERM EXIT

upstreams=""
for i in $(seq 0 $((INSTANCES - 1))); do
  app_port=$((FIRST_APP_PORT + i))
  .venv/bin/exchange serve --port "$app_port" > "$RUNDIR/instance-$app_port.log" 2>&1 &
  pids+=($!)
  upstreams+="        server 127.0.0.1:$app_port max_fails=1 fail_timeout=2s;"$'\n'
done
for i in $(seq 0 $((INSTANCES - 1))); do
  app_port=$((FIRST_APP_PORT + i))
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$app_port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done

python3 - "$RUNDIR" "$PORT" "$upstreams" <<'PY'
import sys
rundir, port, upstreams = sys.argv[1:]
text = open("deploy/nginx.conf.template").read()
open(f"{rundir}/nginx.conf", "w").write(
    text.replace("@RUNDIR@", rundir).replace("@PORT@", port).replace("@UPSTREAMS@", upstreams.rstrip())
)
PY
nginx -c "$RUNDIR/nginx.conf" -p "$RUNDIR"

echo
echo "Story Exchange is running at $EXCHANGE_PUBLIC_URL with $INSTANCES instances behind nginx."
echo "  Instance logs (JSON, one line per record, with exchange_id): $RUNDIR/instance-*.log"
echo "  Readiness of each instance: curl http://127.0.0.1:$FIRST_APP_PORT/readyz"
echo "Press Ctrl-C to stop."
wait "${pids[@]}"
