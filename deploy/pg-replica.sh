#!/bin/sh
# compose.yaml's `db-replica`: a streaming standby of `db` that takes the API's reads
# (CORPUS_READ_DATABASE_URLS; docs/scaling.md). On its first start it copies the primary with
# pg_basebackup -R (which writes primary_conninfo and standby.signal); then it runs as a hot
# standby. Works with the postgres:15 image and with .ci/standins/postgres.
set -eu
mkdir -p "$PGDATA" && chown -R postgres "$PGDATA" && chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until runuser -u postgres -- env PGPASSWORD="$POSTGRES_PASSWORD" pg_basebackup \
      -h "${PRIMARY_HOST:-db}" -U "$POSTGRES_USER" -D "$PGDATA" -R -X stream -c fast; do
    echo "db-replica: waiting for the primary" >&2
    find "$PGDATA" -mindepth 1 -delete
    sleep 2
  done
fi
# hot_standby_feedback: a long read here is not cancelled by the primary's vacuum
exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses='*' -k /tmp \
  -c hot_standby_feedback=on
