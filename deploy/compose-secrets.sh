#!/usr/bin/env bash
# Give every variable that docker-compose.yml requires (`${NAME:?...}`) a random value in .env,
# unless the shell or .env already sets it. Run by `make up`; safe to run again (keeps values).
set -euo pipefail
compose=${1:-docker-compose.yml}
env_file=${2:-.env}
touch "$env_file"
for name in $(grep -oE '\$\{[A-Za-z_][A-Za-z0-9_]*:\?' "$compose" | sed -E 's/^\$\{//; s/:\?$//' | sort -u); do
  if [ -n "${!name:-}" ] || grep -qE "^${name}=" "$env_file"; then
    continue
  fi
  printf '%s=%s\n' "$name" "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >> "$env_file"
  echo "generated $name in $env_file"
done
