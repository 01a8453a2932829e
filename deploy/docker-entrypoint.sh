#!/bin/sh
# The container's entrypoint: `convsvc serve` with the container's address, port and data directory.
#
#   docker-entrypoint.sh [serve] [FLAG...]   run the server (extra flags go to `convsvc serve`)
#   docker-entrypoint.sh health              probe the running server's gRPC Health service (HEALTHCHECK)
#   docker-entrypoint.sh COMMAND [ARG...]    a convsvc command (schema, convert, keys, ...) or any program
#
# Environment (the same names as the settings; here they become flags, so the health check, the
# published port and the volume always agree with the server):
#   CONVSVC_SERVER_HOST      default 0.0.0.0 (loopback is unreachable from outside a container)
#   CONVSVC_SERVER_PORT      default 50051
#   CONVSVC_SERVER_DATA_DIR  default /var/lib/convsvc (the volume; must be writable)
#   CONVSVC_CONFIG           a TOML file, or a directory whose *.toml files are joined in name order
#                            (e.g. a ConfigMap's convsvc.toml and a Secret's keys.toml)
# Every other CONVSVC_<TABLE>_<SETTING> variable is read by convsvc itself (docs/operations.md).
# The server is exec'd: it is the container's main process and receives SIGTERM itself.
set -eu

host=${CONVSVC_SERVER_HOST:-0.0.0.0}
port=${CONVSVC_SERVER_PORT:-50051}
data_dir=${CONVSVC_SERVER_DATA_DIR:-/var/lib/convsvc}

fail() {
  echo "docker-entrypoint: $*" >&2
  exit 1
}

probe_address() {  # a wildcard bind is probed on loopback
  case $host in
    0.0.0.0 | :: | "[::]" | "") echo "127.0.0.1:$port" ;;
    *:*) echo "[$host]:$port" ;;
    *) echo "$host:$port" ;;
  esac
}

case ${1:-serve} in
  serve) [ $# -eq 0 ] || shift ;;
  -*) ;;  # flags for serve
  health)
    exec grpc-health-probe -addr="$(probe_address)" -connect-timeout=2s -rpc-timeout=2s ;;
  schema | convert | keys | formats | repair)
    exec convsvc "$@" ;;
  *)
    exec "$@" ;;
esac

if [ -e "$data_dir" ] && [ ! -d "$data_dir" ]; then
  fail "data directory $data_dir exists and is not a directory"
fi
mkdir -p "$data_dir" 2>/dev/null || fail "cannot create data directory $data_dir (uid $(id -u))"
probe=$data_dir/.convsvc-write-test.$$
if ! (: >"$probe") 2>/dev/null; then
  fail "data directory $data_dir is not writable by uid $(id -u): give the volume to that user (Kubernetes: securityContext.fsGroup)"
fi
rm -f "$probe"

set -- --host "$host" --port "$port" --data-dir "$data_dir" "$@"
config=${CONVSVC_CONFIG:-}
if [ -n "$config" ] && [ -d "$config" ]; then
  # One file for convsvc: the fragments joined, private to the server's user.
  joined=$data_dir/.convsvc-config.toml
  found=0
  (umask 077 && : >"$joined")
  for fragment in "$config"/*.toml; do
    [ -f "$fragment" ] || continue
    { printf '# from %s\n' "$fragment"; cat "$fragment"; printf '\n'; } >>"$joined"
    found=1
  done
  [ "$found" -eq 1 ] || fail "CONVSVC_CONFIG=$config is a directory without *.toml files"
  set -- --config "$joined" "$@"
elif [ -n "$config" ] && [ ! -r "$config" ]; then
  fail "CONVSVC_CONFIG=$config is not a readable file or directory"
fi

exec convsvc serve "$@"
