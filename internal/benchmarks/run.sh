#!/usr/bin/env bash
# Reproduces the numbers in BENCHMARKS.md: rounds of every benchmark, raw
# and wrapped back to back in each round (so a change in machine load hits
# both alike), then benchstat with raw and wrapped side by side.
#
#   ./internal/benchmarks/run.sh [rounds]     # default 8 rounds; results in $OUT (default /tmp/wsbench)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-8}
out=${OUT:-/tmp/wsbench}
mkdir -p "$out"
go test -c -o "$out/bench.test" ./internal/benchmarks/
: >"$out/bench.txt"
for _ in $(seq "$rounds"); do
	"$out/bench.test" -test.run '^$' -test.bench 'Echo' -test.benchtime 5000x >>"$out/bench.txt"
	"$out/bench.test" -test.run '^$' -test.bench 'Stream' -test.benchtime 50000x >>"$out/bench.txt"
	"$out/bench.test" -test.run '^$' -test.bench 'Dial|Recover' -test.benchtime 2000x >>"$out/bench.txt"
	"$out/bench.test" -test.run '^$' -test.bench 'Idle' -test.benchtime 1x >>"$out/bench.txt"
	"$out/bench.test" -test.run '^$' -test.bench 'DeadPeer' -test.benchtime 10x >>"$out/bench.txt"
done
# benchstat's -col /impl needs key=value sub-benchmark names.
sed -E 's#^(Benchmark[^[:space:]]*)/(raw|wrapped|raw-hop)(-[0-9]+)#\1/impl=\2\3#' "$out/bench.txt" >"$out/bench-impl.txt"
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl "$out/bench-impl.txt"
