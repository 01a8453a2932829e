#!/usr/bin/env bash
# Test services on loopback: installs Debian's redis-server / postgresql when missing, starts, stops.
#   scripts/services.sh start [redis] [postgres]   (both by default; idempotent)
#   scripts/services.sh stop  [redis] [postgres]
#   scripts/services.sh env                        (prints the variables the tests read)
# State lives under $CONVSVC_SERVICES_DIR (default /tmp/convsvc-services); nothing listens beyond 127.0.0.1.
set -euo pipefail
dir=${CONVSVC_SERVICES_DIR:-/tmp/convsvc-services}
redis_port=${CONVSVC_REDIS_PORT:-16379}
pg_port=${CONVSVC_PG_PORT:-15432}
action=${1:-}
shift || true
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(redis postgres)

log() { echo "services: $*" >&2; }

apt_install() {  # apt_install PACKAGE... : install what is missing (root, Debian)
  if [ "$(id -u)" -ne 0 ]; then log "need root to install $*"; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -n "$bin" ] && echo "$bin"
}

as_postgres() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$dir/redis"
  if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then log "redis already on 127.0.0.1:$redis_port"; return; fi
  redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --dir "$dir/redis" \
    --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" --save "" --appendonly yes \
    --appendfsync always
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$redis_port" ping >/dev/null
  log "redis on 127.0.0.1:$redis_port"
}

stop_redis() {
  command -v redis-cli >/dev/null || return 0
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}

start_postgres() {
  [ -n "$(pg_bin)" ] || apt_install postgresql
  local bin data="$dir/postgres"
  bin=$(pg_bin)
  mkdir -p "$dir"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$data"
    chmod 700 "$data"
    as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then log "postgres already on 127.0.0.1:$pg_port"; return; fi
  as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$data -c fsync=on" >/dev/null
  log "postgres on 127.0.0.1:$pg_port"
}

stop_postgres() {
  local bin data="$dir/postgres"
  bin=$(pg_bin) || return 0
  [ -f "$data/PG_VERSION" ] || return 0
  as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

case "$action" in
  start) for s in "${wanted[@]}"; do "start_$s"; done ;;
  stop) for s in "${wanted[@]}"; do "stop_$s"; done ;;
  env)
    echo "export CONVSVC_TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0"
    echo "export CONVSVC_TEST_POSTGRES_DSN=postgresql://postgres@127.0.0.1:$pg_port/postgres"
    ;;
  *) echo "usage: $0 start|stop|env [redis] [postgres]" >&2; exit 2 ;;
esac
