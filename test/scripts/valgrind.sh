#!/usr/bin/env bash
# Run the pg_regress suite once against a server started under Valgrind
# memcheck, and list the reports whose stack passes through cmab's code or
# the BLAS/LAPACK it calls.  By hand, after `make test` has installed the
# extension (about 4 minutes):
#
#   bash test/scripts/valgrind.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cmab-valgrind.XXXXXX")
chmod 755 "$WORK"
cp -r "$ROOT/sql" "$ROOT/expected" "$WORK/"
RUN=()
if [ "$(id -u)" = 0 ]; then
	chown -R postgres "$WORK"
	RUN=(runuser -u postgres --)
fi
PORT=$((20000 + RANDOM % 20000))
"${RUN[@]}" "$PGBIN/initdb" -D "$WORK/data" -U postgres -A trust --no-sync >/dev/null
"${RUN[@]}" bash -c "valgrind --quiet --trace-children=yes --error-limit=no \
	--log-file='$WORK/vg.%p.log' '$PGBIN/postgres' -D '$WORK/data' -c listen_addresses='' \
	-c unix_socket_directories='$WORK' -p $PORT -c fsync=off >'$WORK/server.log' 2>&1 &"
for _ in $(seq 1 120); do
	"$PGBIN/pg_isready" -q -h "$WORK" -p "$PORT" && break
	sleep 1
done
set +e
"${RUN[@]}" env PGHOST="$WORK" PGPORT="$PORT" PGUSER=postgres \
	"$("$PGBIN/pg_config" --pgxs | xargs dirname)/../test/regress/pg_regress" \
	--bindir="$PGBIN" --inputdir="$WORK" --outputdir="$WORK" --dbname=cmab_regression \
	$(cd "$WORK/sql" && ls *.sql | sed 's/\.sql$//')
rc=$?
set -e
"${RUN[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null || true
echo "Valgrind reports through cmab, BLAS or LAPACK:"
grep -l -E 'cmab|blas|lapack' "$WORK"/vg.*.log || echo "none"
echo "(all logs: $WORK)"
exit $rc
