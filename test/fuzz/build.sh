#!/usr/bin/env bash
# build.sh OUT SOURCE...: link a libFuzzer harness with cmab's own sources.
# The server functions those sources call on paths the harness never takes
# (SQL entry points, catalog access) are stubbed with abort(), found by a
# first link; stubs.c stands in for the few the harness does use.
set -euo pipefail
out=$1
shift
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
echo '#include <stdlib.h>' >"$gen/unreached.c"
for pass in 1 2; do
	# shellcheck disable=SC2086
	if $FUZZ_CC $FUZZ_CFLAGS "$@" "$gen/unreached.c" -o "$out" $FUZZ_LIBS 2>"$gen/ld.log"; then
		exit 0
	fi
	if [ "$pass" = 2 ]; then
		cat "$gen/ld.log" >&2
		exit 1
	fi
	{
		echo '#include <stdlib.h>'
		grep -o "undefined reference to \`[A-Za-z0-9_]*'" "$gen/ld.log" |
			sed "s/.*\`\(.*\)'/\1/" | sort -u |
			while read -r sym; do echo "void $sym(void); void $sym(void) { abort(); }"; done
	} >"$gen/unreached.c"
done
