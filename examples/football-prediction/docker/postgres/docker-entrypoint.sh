#!/usr/bin/env bash
# Entry point modelled on the official postgres image's docker-entrypoint.sh.
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u +'%Y-%m-%d %H:%M:%S UTC')" "$*"; }

# Read VAR or VAR_FILE (Docker secrets), as the official image does.
file_env() {
  local var=$1 file_var="${1}_FILE" default=${2:-}
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    log "ERROR: both $var and $file_var are set"; exit 1
  fi
  local value=$default
  if [ -n "${!var:-}" ]; then value=${!var}; elif [ -n "${!file_var:-}" ]; then value=$(<"${!file_var}"); fi
  export "$var"="$value"
  unset "$file_var"
}

setup_env() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  export POSTGRES_INITDB_ARGS=${POSTGRES_INITDB_ARGS:-}
  export POSTGRES_HOST_AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  DATABASE_ALREADY_EXISTS=
  if [ -s "$PGDATA/PG_VERSION" ]; then DATABASE_ALREADY_EXISTS=true; fi
}

create_dirs() {
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 00700 "$PGDATA" || :
  chmod 03775 /var/run/postgresql || :
  if [ "$(id -u)" = 0 ]; then
    find "$PGDATA" \! -user postgres -exec chown postgres: '{}' +
    find /var/run/postgresql \! -user postgres -exec chown postgres: '{}' +
  fi
}

init_database() {
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    log "ERROR: the database is uninitialized and POSTGRES_PASSWORD is not set"
    exit 1
  fi
  log "initializing $PGDATA (user $POSTGRES_USER, host auth $POSTGRES_HOST_AUTH_METHOD)"
  # Local socket connections (docker exec psql/pg_dump) trust; TCP needs the password.
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
    --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
    --encoding=UTF8 --locale=C.UTF-8 $POSTGRES_INITDB_ARGS
  {
    echo
    echo "# allow connections from any address with the configured method"
    echo "host all all all $POSTGRES_HOST_AUTH_METHOD"
  } >>"$PGDATA/pg_hba.conf"
}

temp_server_start() {
  # Socket only, so nothing outside sees the database before it is ready.
  PGUSER=$POSTGRES_USER pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -p ${PGPORT:-5432}" start
}

temp_server_stop() {
  PGUSER=$POSTGRES_USER pg_ctl -D "$PGDATA" -m fast -w stop
}

psql_init() {
  PGHOST=/var/run/postgresql PGUSER=$POSTGRES_USER PGPASSWORD='' psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc "$@"
}

create_db() {
  if [ "$POSTGRES_DB" = postgres ]; then return 0; fi
  local exists
  exists=$(psql_init --dbname postgres --set db="$POSTGRES_DB" -tA <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
  if [ -z "$exists" ]; then
    log "creating database $POSTGRES_DB"
    psql_init --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
}

run_init_files() {
  local f files=()
  # An empty directory must yield no iteration (not the literal pattern).
  shopt -s nullglob
  files=(/docker-entrypoint-initdb.d/*)
  shopt -u nullglob
  for f in "${files[@]}"; do
    # shellcheck source=/dev/null
    case "$f" in
      *.sh) log "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) log "running $f"; psql_init --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | psql_init --dbname "$POSTGRES_DB" ;;
      *) log "ignoring $f" ;;
    esac
  done
}

main() {
  # `docker run image -c foo=bar` means `postgres -c foo=bar`.
  if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

  if [ "$1" = postgres ] && [ "${DOCKER_ENTRYPOINT_SKIP:-}" != 1 ]; then
    setup_env
    create_dirs
    if [ "$(id -u)" = 0 ]; then
      exec gosu postgres "${BASH_SOURCE[0]}" "$@"
    fi
    if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
      init_database
      temp_server_start
      create_db
      run_init_files
      temp_server_stop
      unset PGPASSWORD
      log "PostgreSQL init process complete; ready for start up"
    else
      log "PostgreSQL database directory appears to contain a database; skipping initialization"
    fi
  fi
  exec "$@"
}

main "$@"
