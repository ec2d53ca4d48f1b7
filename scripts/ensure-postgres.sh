#!/bin/sh
# Makes sure PostgreSQL's server binaries (initdb, postgres) are installed, installing
# the OS package when they are missing and we may (root with apt-get). Ruche runs its
# own cluster with them; nothing is started here.
set -eu

found() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then return 0; fi
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && return 0; done
  command -v initdb >/dev/null 2>&1
}

found && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server binaries not found: installing the postgresql package…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  found && exit 0
fi

echo "PostgreSQL server binaries (initdb, postgres) not found: install them with 'sudo apt-get install postgresql', or set DATABASE_URL." >&2
exit 1
