#!/usr/bin/env bash
# The benchmark behind `make bench` (run through test/scripts/run.sh, which
# provides the cluster and PGHOST/PGPORT/PGUSER).  Per-call paths run under
# pgbench (prepared statements, fixed clients, fixed duration); bulk paths
# are timed in SQL (timed.sql).  Every cmab figure is printed beside a floor
# measured in the same run with the same settings.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${BENCH_OUT:-$(mktemp -d)}
SECS=${BENCH_SECONDS:-5}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DB=${BENCH_DB:-cmab_bench}
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB")

say() { printf '==> %s\n' "$*" >&2; }

say "building the benchmark data (100,000 events, models of 200 and 2,000 arms)"
"${PSQL[@]}" -f "$HERE/setup.sql" >/dev/null
m200=$("${PSQL[@]}" -Atc "SELECT model_id FROM cmab_model WHERE name = 'm200'")
m2000=$("${PSQL[@]}" -Atc "SELECT model_id FROM cmab_model WHERE name = 'm2000'")

# a random context of d elements, as pgbench \set lines and an ARRAY literal
ctx_script() {
	local d=$1 i arr=""
	for i in $(seq 1 "$d"); do
		echo "\\set x$i random(0, 1000) / 1000.0"
		arr="$arr${arr:+, }:x$i"
	done
	echo "-- ARRAY[$arr]"
}
ctx_array() { ctx_script "$1" | tail -n 1 | sed 's/^-- //'; }

script() {
	# script NAME: writes $OUT/NAME.sql from stdin
	cat >"$OUT/$1.sql"
}

{ echo 'SELECT 1;'; } | script select1
echo "SELECT sum(get_byte(state, 1000)) FROM cmab_arm WHERE model_id = $m200;" | script read200
echo "SELECT sum(get_byte(state, 1000)) FROM cmab_arm WHERE model_id = $m2000;" | script read2000
{ ctx_script 15 | grep -v '^--'; echo "SELECT * FROM cmab_recommend('m200', $(ctx_array 15)::float8[], 5);"; } | script rec200
{ ctx_script 15 | grep -v '^--'; echo "SELECT * FROM cmab_recommend('m2000', $(ctx_array 15)::float8[], 5);"; } | script rec2000
{ ctx_script 100 | grep -v '^--'; echo "SELECT * FROM cmab_recommend('m200_d100', $(ctx_array 100)::float8[], 5);"; } | script rec200_d100
{ echo '\set a random(1, 200)'; echo 'UPDATE plain_arm SET state = state WHERE id = :a;'; } | script plainupd
for n in 200 2000; do
	{ echo "\\set a random(1, $n)"; echo '\set r random(0, 1)'; ctx_script 15 | grep -v '^--'
	  echo "SELECT cmab_update('m$n', :a::text, $(ctx_array 15)::float8[], :r);"; } | script "upd$n"
done
# two clients on disjoint halves of the arms (client 0: 1-100, client 1: 101-200)
{ echo '\set a 1 + :client_id * 100 + random(0, 99)'; echo '\set r random(0, 1)'; ctx_script 15 | grep -v '^--'
  echo "SELECT cmab_update('m200', :a::text, $(ctx_array 15)::float8[], :r);"; } | script upd200_disjoint
{ echo '\set a random(1, 200)'; echo '\set r random(0, 1)'; ctx_script 100 | grep -v '^--'
  echo "SELECT cmab_update('m200_d100', :a::text, $(ctx_array 100)::float8[], :r);"; } | script upd200_d100

# run NAME SCRIPT CLIENTS [extra env]: pgbench, per-transaction log kept
run() {
	local name=$1 scr=$2 clients=$3
	shift 3
	rm -f "$OUT/$name.log".*
	env "$@" "$PGBIN/pgbench" -n -M prepared -c "$clients" -j "$clients" -T "$SECS" \
		-f "$OUT/$scr.sql" -l --log-prefix="$OUT/$name.log" "$DB" >"$OUT/$name.out" 2>&1 ||
		{ cat "$OUT/$name.out" >&2; exit 1; }
	sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$OUT/$name.out" | head -n 1 >"$OUT/$name.tps"
	cat "$OUT/$name.log".* | awk '{ print $3 }' | sort -n >"$OUT/$name.lat"
}
# median and p99 latency of a run, in ms
lat() {
	awk -v q="$2" '{ v[NR] = $1 } END { i = int(NR * q); if (i < 1) i = 1; printf "%.3f", v[i] / 1000 }' "$OUT/$1.lat"
}
tps() { awk '{ printf "%.0f", $1 }' "$OUT/$1.tps"; }

say "per-call paths: pgbench, $SECS s a run"
run select1 select1 1
run read200 read200 1
run rec200 rec200 1
run rec200_c2 rec200 2
run read2000 read2000 1
run rec2000 rec2000 1
for sc in on off; do
	run "plainupd_$sc" plainupd 1 PGOPTIONS="-c synchronous_commit=$sc"
	run "upd200_$sc" upd200 1 PGOPTIONS="-c synchronous_commit=$sc"
	run "upd2000_$sc" upd2000 1 PGOPTIONS="-c synchronous_commit=$sc"
done
run upd200_disjoint1 upd200_disjoint 1 PGOPTIONS="-c synchronous_commit=off"
run upd200_disjoint2 upd200_disjoint 2 PGOPTIONS="-c synchronous_commit=off"
# recommendations while one client updates the same model flat out
( run upd200_bg upd200 1 PGOPTIONS="-c synchronous_commit=off" ) &
bg=$!
sleep 0.2
run rec200_busy rec200 1
wait "$bg"
run rec200_d100 rec200_d100 1
run upd200_d100 upd200_d100 1 PGOPTIONS="-c synchronous_commit=off"

say "the demo's data, for the offline benchmark"
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS cafe CASCADE" >/dev/null
"${PSQL[@]}" -f "$HERE/../demo/cafe.sql" -c "SELECT cafe.generate_users(1237)" \
	-c "SELECT cafe.build_features()" -c "SELECT cafe.simulate_log(1237)" >/dev/null

say "bulk paths: timed in SQL"
"${PSQL[@]}" -v outfile="$OUT/timed.txt" -f "$HERE/timed.sql" >/dev/null
timed() { awk -F'|' -v op="$1" -v col="$2" '$1 == op { printf "%.3f", $col }' "$OUT/timed.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

row() { printf '| %-52s | %9s | %9s | %-34s | %7s | %-28s |\n' "$@"; }
echo
echo "cmab benchmark: $(nproc) cores, PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), BLAS $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null | sed 's|.*/x86_64-linux-gnu/||'), $SECS s pgbench runs"
echo
row "operation" "median ms" "p99 ms" "floor (median ms)" "ratio" "target"
row "---" "---" "---" "---" "---" "---"
s1=$(lat select1 0.5)
row "SELECT 1 round trip (floor)" "$s1" "$(lat select1 0.99)" "" "" ""
row "cmab_recommend top-5, 200 arms, 1 client" "$(lat rec200 0.5)" "$(lat rec200 0.99)" "SELECT 1: $s1" "$(ratio "$(lat rec200 0.5)" "$s1")" "<= 3x SELECT 1; <= 0.108 ms"
row "  plain read of the 200 arm rows (floor)" "$(lat read200 0.5)" "$(lat read200 0.99)" "" "" ""
row "cmab_recommend top-5, 2,000 arms, 1 client" "$(lat rec2000 0.5)" "$(lat rec2000 0.99)" "rows: $(lat read2000 0.5)" "$(ratio "$(lat rec2000 0.5)" "$(lat read2000 0.5)")" "<= 1 ms"
row "cmab_recommend, 200 arms: 2 clients vs 1 (tps)" "$(tps rec200_c2)" "" "1 client: $(tps rec200) tps" "$(ratio "$(tps rec200_c2)" "$(tps rec200)")" ">= 1.7x"
for sc in on off; do
	p=$(lat "plainupd_$sc" 0.5)
	row "cmab_update, 200 arms, synchronous_commit=$sc" "$(lat "upd200_$sc" 0.5)" "$(lat "upd200_$sc" 0.99)" "plain UPDATE: $p" "$(ratio "$(lat "upd200_$sc" 0.5)" "$p")" "<= 1.5x plain UPDATE"
	row "cmab_update, 2,000 arms, synchronous_commit=$sc" "$(lat "upd2000_$sc" 0.5)" "$(lat "upd2000_$sc" 0.99)" "plain UPDATE: $p" "$(ratio "$(lat "upd2000_$sc" 0.5)" "$p")" "<= 1.5x; same as 200 arms"
done
row "cmab_update, disjoint arms: 2 clients vs 1 (tps)" "$(tps upd200_disjoint2)" "" "1 client: $(tps upd200_disjoint1) tps" "$(ratio "$(tps upd200_disjoint2)" "$(tps upd200_disjoint1)")" "~2x (arms learn in parallel)"
row "recommend p99 while 1 client updates flat out" "$(lat rec200_busy 0.5)" "$(lat rec200_busy 0.99)" "alone, p99: $(lat rec200 0.99)" "$(ratio "$(lat rec200_busy 0.99)" "$(lat rec200 0.99)")" "p99 <= 1.5x alone"
row "fit 10k events x 200 arms (into the model)" "$(timed 'fit 10k events x 200 arms' 2)" "$(timed 'fit 10k events x 200 arms' 3)" "GROUP BY scan: $(timed 'floor: GROUP BY arm scan, 10k events' 2)" "$(ratio "$(timed 'fit 10k events x 200 arms' 2)" "$(timed 'floor: GROUP BY arm scan, 10k events' 2)")" "<= 10 ms"
row "fit 100k events x 2,000 arms" "$(timed 'fit 100k events x 2000 arms' 2)" "$(timed 'fit 100k events x 2000 arms' 3)" "GROUP BY scan: $(timed 'floor: GROUP BY arm scan, 100k events' 2)" "$(ratio "$(timed 'fit 100k events x 2000 arms' 2)" "$(timed 'floor: GROUP BY arm scan, 100k events' 2)")" "<= 80 ms"
row "fit 100k events x 2,000 arms, parallel plan" "$(timed 'fit 100k events x 2000 arms, parallel plan' 2)" "$(timed 'fit 100k events x 2000 arms, parallel plan' 3)" "" "" "faster than serial"
row "score 2,000 contexts x 200 arms, top-5 each" "$(timed 'score 2000 contexts x 200 arms, top-5' 2)" "$(timed 'score 2000 contexts x 200 arms, top-5' 3)" "" "" "<= 10 ms"
row "six-policy offline benchmark, 10k events" "$(timed 'six-policy offline benchmark, 10k events' 2)" "$(timed 'six-policy offline benchmark, 10k events' 3)" "" "" "<= 1000 ms"
for d in 15 50 100; do
	row "stored bytes per arm, d = $d" "$(timed "bytes per arm, d = $d" 2 | sed 's/\.000//')" "" "" "" "$([ $d = 15 ] && echo '<= 2200, inline' || echo 'report')"
done
row "TOAST bytes of cmab_arm (d = 50 and 100 toast)" "$(timed 'toast bytes of cmab_arm' 2 | sed 's/\.000//')" "" "" "" "inline up to d = 30"
row "d = 100, 200 arms: cmab_recommend top-5" "$(lat rec200_d100 0.5)" "$(lat rec200_d100 0.99)" "" "" "report"
row "d = 100, 200 arms: cmab_update (sync off)" "$(lat upd200_d100 0.5)" "$(lat upd200_d100 0.99)" "" "" "report"
echo
echo "raw pgbench output and logs: $OUT (kept after the run with KEEP_WORK=1)"
