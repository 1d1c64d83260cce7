#!/bin/sh
# The state store's tests on PostgreSQL: a throwaway cluster (tests/pg/
# cluster.sh: initdb and pg_ctl from Debian's postgresql package, a unix
# socket in a temp dir), the unit tests of the store (test_state,
# test_tokens) against it with MW_TEST_PG (test_state restarts the server
# under open handles: they connect again), the store's benchmark for a
# figure, then the cluster stopped and removed.  O: the build (build).
cd "$(dirname "$0")/../.." || exit 2
O=${O:-build}
. tests/pg/cluster.sh
trap pg_stop EXIT
if ! pg_start; then
	echo "[FAIL] pg/cluster: no throwaway PostgreSQL cluster (scripts/install-deps)"
	exit 1
fi
echo "[PASS] pg/cluster"
rc=0
# their lines named pg/state/..., pg/tokens/... beside the SQLite run's;
# test_state restarts the server under its open handles (pg_restart)
MW_TEST_PG_RESTART="sh -c '. tests/pg/cluster.sh; pgdir=$pgdir; pg_restart'"
export MW_TEST_PG_RESTART
for t in test_state test_tokens; do
	MW_TEST_PG=$MW_PG "$O/tests/$t" > "$pgdir/$t.out" 2>&1 || { rc=1; echo "[FAIL] pg/$t: exit $?"; }
	sed 's/^\[\(PASS\|FAIL\)\] /[\1] pg\//' "$pgdir/$t.out"
done
# a figure, not a check (the benchmark checks nothing)
if [ -x "$O/bench/state_bench" ]; then
	"$O/bench/state_bench" 2000 50 "$MW_PG" | sed 's/^/# pg: /'
fi
exit $rc
