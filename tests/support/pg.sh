#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the test suite, on loopback, in a temporary directory.
#   pg.sh start DIR   initdb + start on a free port; writes DIR/url (postgres://...:PORT/postgres)
#   pg.sh stop DIR    stops it and removes DIR
#   pg.sh createdb DIR NAME   creates a database and prints its URL
# Installs Debian's postgresql if it is missing. Runs the server as the `postgres` system user
# (initdb refuses root).
set -euo pipefail
cmd=${1:?start|stop|createdb}
dir=${2:?directory}

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  if [ -z "$d" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >/dev/null
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

case "$cmd" in
start)
  bin=$(bindir)
  if [ -f "$dir/url" ] && as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then exit 0; fi
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
  port=$(free_port)
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200 -c shared_buffers=64MB" >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/postgres" >"$dir/url"
  chmod 644 "$dir/url"
  echo "postgres started on 127.0.0.1:$port"
  ;;
stop)
  bin=$(bindir)
  if [ -d "$dir/data" ]; then as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
  echo "postgres stopped"
  ;;
createdb)
  name=${3:?name}
  url=$(cat "$dir/url")
  psql "$url" -qAt -c "CREATE DATABASE \"$name\"" >/dev/null
  echo "${url%/postgres}/$name"
  ;;
*) echo "usage: pg.sh start|stop|createdb DIR [NAME]" >&2; exit 2 ;;
esac
