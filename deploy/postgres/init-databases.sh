#!/usr/bin/env bash
# docker-compose: runs once, on the first start of the postgres container (empty data volume).
# One role and one database per service; a service reaches only its own database.
# Passwords come from the container's environment (see docker-compose.yml).
set -euo pipefail

create() {  # create <role/database> <password>
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set=name="$1" --set=password="$2" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
}

create ledger "${LEDGER_DB_PASSWORD:?}"
create watcher "${WATCHER_DB_PASSWORD:?}"
create notifier "${NOTIFIER_DB_PASSWORD:?}"
