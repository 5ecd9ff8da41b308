#!/bin/sh
# The official image's first start: a cluster owned by postgres with POSTGRES_USER (password
# POSTGRES_PASSWORD, scram) and the database POSTGRES_DB, reachable over the network; arguments
# after `postgres` (compose's `command`) go to the server, as there.
set -eu
mkdir -p "$PGDATA" && chown -R postgres "$PGDATA" && chmod 700 "$PGDATA"
as_pg() { runuser -u postgres -- "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pwfile && chown postgres /tmp/pwfile
  as_pg initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/pwfile --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm /tmp/pwfile
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  as_pg pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /tmp" -w start >/dev/null
  as_pg createdb -h /tmp -U "$POSTGRES_USER" "$POSTGRES_DB"
  as_pg pg_ctl -D "$PGDATA" -w stop >/dev/null
fi
[ "${1:-}" = postgres ] && shift
exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses='*' -k /tmp "$@"
