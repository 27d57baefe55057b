#!/usr/bin/env bash
# The script behind `make demo`, `make test` and `make bench`.
#
#   bash test/scripts/run.sh demo|test
#
# 1. installs what is missing (Debian packages, with sudo when not root)
# 2. builds and installs the extension
# 3. copies what the server-side user needs into a scratch folder it owns
#    (CI's clone may not be readable by the postgres user)
# 4. starts a throwaway cluster on its own data dir, socket and port
#    (unless PGHOST or PGPORT point at an existing server), as the postgres
#    user when run as root
# 5. runs the demo, or every pg_regress and TAP test, and stops the cluster
set -euo pipefail

MODE=${1:?usage: run.sh demo|test|bench}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PGVER=${PGVER:-15}
PGBIN=${PGBIN:-/usr/lib/postgresql/$PGVER/bin}

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# ---------------------------------------------------------------- 1. deps
need=()
[ -x "$PGBIN/postgres" ] || need+=("postgresql-$PGVER")
[ -f "$("$PGBIN/pg_config" --pgxs 2>/dev/null || echo /nonexistent)" ] || need+=("postgresql-server-dev-$PGVER")
[ -e /usr/lib/x86_64-linux-gnu/liblapack.so ] || ls /usr/lib/*/liblapack.so >/dev/null 2>&1 || need+=(liblapack-dev)
[ -e /usr/lib/x86_64-linux-gnu/libblas.so ] || ls /usr/lib/*/libblas.so >/dev/null 2>&1 || need+=(libblas-dev)
perl -MIPC::Run -e1 2>/dev/null || need+=(libipc-run-perl)
perl -MTest::More -e1 2>/dev/null || need+=(perl)
command -v make >/dev/null || need+=(make)
if [ "$MODE" = test ]; then
	# the fuzzers: clang with its libFuzzer runtime
	command -v clang >/dev/null || need+=(clang)
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
		need+=(libclang-rt-dev)
fi
command -v gcc >/dev/null || need+=(gcc)
if [ "$(id -u)" = 0 ] && [ ! -x /usr/sbin/runuser ] && ! command -v runuser >/dev/null; then
	need+=(util-linux)
fi
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# ---------------------------------------------------------------- 2. build
say "building cmab"
make -C "$ROOT" -s PG_CONFIG="$PGBIN/pg_config" >/dev/null
as_root make -C "$ROOT" -s PG_CONFIG="$PGBIN/pg_config" install >/dev/null

# ---------------------------------------------------------------- 3. scratch
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cmab-$MODE.XXXXXX")
chmod 755 "$WORK"
cp -r "$ROOT/sql" "$ROOT/expected" "$ROOT/test" "$WORK/"
REF=${CMAB_REFERENCE_DIR:-$ROOT/../shared/reference}
if [ -d "$REF" ]; then
	mkdir -p "$WORK/reference"
	cp -r "$REF/." "$WORK/reference/"
fi
if [ "$(id -u)" = 0 ]; then
	chown -R postgres:postgres "$WORK"
	RUN=(runuser -u postgres --)
else
	RUN=()
fi

# ---------------------------------------------------------------- 4. cluster
OWN_CLUSTER=1
if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
	OWN_CLUSTER=0
	say "using the existing server at ${PGHOST:-local socket}:${PGPORT:-5432}"
else
	export PGHOST="$WORK" PGPORT=$((20000 + RANDOM % 20000))
	export PGUSER=postgres PGDATABASE=postgres
fi

cleanup() {
	if [ "$OWN_CLUSTER" = 1 ] && [ -f "$WORK/data/postmaster.pid" ]; then
		"${RUN[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
	fi
	if [ "${KEEP_WORK:-0}" = 1 ]; then
		say "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

if [ "$OWN_CLUSTER" = 1 ]; then
	say "starting a throwaway cluster in $WORK/data (port $PGPORT)"
	"${RUN[@]}" "$PGBIN/initdb" -D "$WORK/data" -U postgres -A trust --no-sync >"$WORK/initdb.log" 2>&1 ||
		{ cat "$WORK/initdb.log" >&2; exit 1; }
	# the benchmark measures durable commits; the rest needs no fsync
	fsync=off
	[ "$MODE" = bench ] && fsync=on
	"${RUN[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w \
		-o "-c listen_addresses='' -c unix_socket_directories='$WORK' -p $PGPORT -c fsync=$fsync" \
		start >/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
fi

PSQL=("${RUN[@]}" env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="${PGUSER:-}" \
	PGDATABASE="${PGDATABASE:-}" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)

# ---------------------------------------------------------------- 5. run
case "$MODE" in
demo)
	"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS cmab_demo" -c "CREATE DATABASE cmab_demo"
	"${PSQL[@]}" -d cmab_demo -v seed="${SEED:-1237}" -f "$WORK/test/demo/demo.sql"
	;;
test)
	passed=0
	failed=0
	say "pg_regress"
	tests=$(cd "$WORK/sql" && ls *.sql | sed 's/\.sql$//' | sort)
	set +e
	"${RUN[@]}" env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="${PGUSER:-}" \
		"$("$PGBIN/pg_config" --pgxs | xargs dirname)/../test/regress/pg_regress" \
		--bindir="$PGBIN" --inputdir="$WORK" --outputdir="$WORK" \
		--dbname=cmab_regression $tests 2>&1 | tee "$WORK/regress.log"
	set -e
	p=$(grep -cE '\.\.\. ok' "$WORK/regress.log" || true)
	f=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$WORK/regress.log" || true)
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" != 0 ] && [ -f "$WORK/regression.diffs" ]; then
		cat "$WORK/regression.diffs"
	fi

	say "TAP tests"
	if [ ! -d "$WORK/reference" ]; then
		say "no reference data at $REF: the parity test will be skipped (set CMAB_REFERENCE_DIR)"
	fi
	set +e
	"${RUN[@]}" env PATH="$PGBIN:$PATH" \
		PERL5LIB="$("$PGBIN/pg_config" --pgxs | xargs dirname)/../test/perl" \
		TESTDIR="$WORK" PG_REGRESS="$("$PGBIN/pg_config" --pgxs | xargs dirname)/../test/regress/pg_regress" \
		CMAB_REFERENCE_DIR="$WORK/reference" \
		bash -c "cd '$WORK' && prove -v test/t/*.pl" >"$WORK/tap.log" 2>&1
	prove_rc=$?
	set -e
	# show the test lines and the verdict; the full log only on failure
	grep -E '^(ok|not ok) [0-9]+|^test/t/.*skipped|^(All tests successful|Result:|Files=)' "$WORK/tap.log" || true
	p=$(grep -cE '^ok [0-9]+' "$WORK/tap.log" || true)
	f=$(grep -cE '^not ok [0-9]+' "$WORK/tap.log" || true)
	s=$(grep -cE '^test/t/.*skipped' "$WORK/tap.log" || true)
	if [ "$prove_rc" != 0 ]; then
		cat "$WORK/tap.log"
		[ "$f" = 0 ] && f=1 # a script died or missed its plan
	fi
	passed=$((passed + p))
	failed=$((failed + f))

	say "fuzzing the state decoder and the tokenizer, ${FUZZ_SECONDS:-30} s each"
	for fz in state tokenize; do
		if make -C "$ROOT" -s "test/fuzz/fuzz_$fz" test/fuzz/corpus/state/.seeded >"$WORK/fuzz_$fz.log" 2>&1 &&
			"$ROOT/test/fuzz/fuzz_$fz" -max_total_time="${FUZZ_SECONDS:-30}" -detect_leaks=0 \
				-artifact_prefix="$ROOT/test/fuzz/crash-$fz-" "$ROOT/test/fuzz/corpus/$fz" >>"$WORK/fuzz_$fz.log" 2>&1; then
			echo "ok - fuzz_$fz: $(grep -o 'Done [0-9]* runs' "$WORK/fuzz_$fz.log" | tail -n 1), no crash"
			passed=$((passed + 1))
		else
			echo "not ok - fuzz_$fz"
			tail -n 40 "$WORK/fuzz_$fz.log"
			failed=$((failed + 1))
		fi
	done
	if [ "$s" != 0 ]; then
		echo "$passed passed, $failed failed, $s skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" = 0 ]
	;;
bench)
	"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS cmab_bench" -c "CREATE DATABASE cmab_bench"
	mkdir -p "$WORK/bench"
	[ "$(id -u)" = 0 ] && chown postgres "$WORK/bench"
	"${RUN[@]}" env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="${PGUSER:-}" PGBIN="$PGBIN" \
		BENCH_OUT="$WORK/bench" BENCH_SECONDS="${BENCH_SECONDS:-5}" \
		bash "$WORK/test/bench/bench.sh"
	;;
*)
	echo "unknown mode $MODE" >&2
	exit 2
	;;
esac
