#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for
# the current user, as the tests expect: installs Debian's package if missing,
# starts the cluster if stopped, and creates the role and the `test` database.
set -euo pipefail

PGHOST=127.0.0.1
PGPORT=5432
ME=$(id -un)

answers() { psql -h "$PGHOST" -p "$PGPORT" -U "$ME" -d test -Atc 'select 1' >/dev/null 2>&1; }

if answers; then
  exit 0
fi

as_postgres() { if [ "$ME" = postgres ]; then "$@"; else su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; fi; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
hba=/etc/postgresql/$version/main/pg_hba.conf
# The tests connect over loopback without a password: trust loopback only.
if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
  sudo_if_needed sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
fi

if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
  echo "postgres.sh: starting PostgreSQL $version" >&2
  sudo_if_needed pg_ctlcluster --skip-systemctl-redirect "$version" main start
else
  sudo_if_needed pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi

for _ in $(seq 1 30); do
  psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1 && break
  sleep 1
done
psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atc \
  "select 1 from pg_roles where rolname = '$ME'" | grep -q 1 ||
  psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -c "create role \"$ME\" superuser login" >/dev/null
psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atc \
  "select 1 from pg_database where datname = 'test'" | grep -q 1 ||
  psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -c "create database test owner \"$ME\"" >/dev/null

answers || { echo "postgres.sh: PostgreSQL still does not answer on $PGHOST:$PGPORT" >&2; exit 1; }
