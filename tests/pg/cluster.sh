# Sourced: a throwaway PostgreSQL cluster for a test (Debian's postgresql
# package; never a mock).
#   pg_start   initdb in a temp dir, pg_ctl start on a unix socket in that
#              dir (no TCP), a database "mw"; sets $pgdir and $MW_PG, the
#              URL of the database (user postgres, trust over the socket).
#              Non-zero with the reason on stderr when it cannot.
#              PG_OPTS: more server options (-c name=value ...).
#   pg_restart stops the cluster (its sessions ended: -m fast) and starts
#              it again on the same socket; the sessions must connect again
#   pg_stop    stops the cluster and removes the dir (safe to call twice)
# initdb and pg_ctl refuse to run as root: as root they run as the
# `postgres` user, in a dir it owns.
pg_bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
pgdir=
MW_PG=

pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	if [ ! -x "$pg_bin/initdb" ]; then
		echo "no initdb under $pg_bin: scripts/install-deps (postgresql)" >&2
		return 1
	fi
	pgdir=$(mktemp -d /tmp/mw-pg-XXXXXX) || return 1
	chmod 755 "$pgdir"
	[ "$(id -u)" -ne 0 ] || chown postgres "$pgdir"
	pg_as "$pg_bin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		>"$pgdir/initdb.log" 2>&1 || { cat "$pgdir/initdb.log" >&2; return 1; }
	# the socket's port number only names the socket file (no TCP), but it
	# is taken from the free ones all the same
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	pg_as "$pg_bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 30 -o \
		"-k $pgdir -p $port -c listen_addresses= -c fsync=off ${PG_OPTS:-}" start >/dev/null ||
		{ cat "$pgdir/server.log" >&2; return 1; }
	pg_as "$pg_bin/createdb" -h "$pgdir" -p "$port" -U postgres mw ||
		{ cat "$pgdir/server.log" >&2; return 1; }
	MW_PG="postgresql://postgres@/mw?host=$pgdir&port=$port"
	export MW_PG
}

pg_restart() {
	pg_as "$pg_bin/pg_ctl" -D "$pgdir/data" -m fast -w -t 30 restart >/dev/null 2>&1 ||
		{ tail -5 "$pgdir/server.log" >&2; return 1; }
}

pg_stop() {
	[ -n "$pgdir" ] || return 0
	pg_as "$pg_bin/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$pgdir"
	pgdir=
}
