#!/usr/bin/env bash
# Reproduces the numbers in BENCHMARKS.md, then prints benchstat with raw
# and wrapped side by side.
#
#   ./internal/thirdparty/benchmarks/run.sh [rounds]     # default 8 rounds; results in $OUT (default /tmp/wsbench)
#
# Each round runs every benchmark once per implementation, each in a fresh
# process, raw and wrapped back to back, and alternates which one goes
# first (ABBA), so neither a change in machine load nor an order effect
# favours one side.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-8}
out=${OUT:-/tmp/wsbench}
mkdir -p "$out"
go test -c -o "$out/bench.test" ./internal/thirdparty/benchmarks/
: >"$out/bench.txt"

# bench PATTERN BENCHTIME IMPL... runs PATTERN/IMPL for each IMPL in turn.
bench() {
	local pattern=$1 benchtime=$2
	shift 2
	for impl in "$@"; do
		"$out/bench.test" -test.run '^$' -test.bench "$pattern/$impl\$" -test.benchtime "$benchtime" >>"$out/bench.txt"
	done
}

for round in $(seq "$rounds"); do
	impls=(raw wrapped)
	if ((round % 2 == 0)); then
		impls=(wrapped raw)
	fi
	pulls=(raw read handler)
	if ((round % 2 == 0)); then
		pulls=(handler read raw)
	fi
	bench 'Echo' 5000x "${pulls[@]}" raw-hop
	bench 'Feed' 1000000x "${pulls[@]}"
	bench 'Stream/.*' 50000x "${impls[@]}"
	bench 'Dial' 2000x "${impls[@]}"
	bench 'Recover' 2000x "${impls[@]}"
	acks=(write send onmessage onfate)
	if ((round % 2 == 0)); then
		acks=(onfate onmessage send write)
	fi
	bench 'Ack/rtt' 20000x "${acks[@]}"
	bench 'Ack/window' 50000x "${acks[@]}"
	bench 'Idle' 1x "${impls[@]}"
	bench 'DeadPeer' 10x wrapped
done
# benchstat's -col /impl needs key=value sub-benchmark names.
sed -E 's#^(Benchmark[^[:space:]]*)/(raw|wrapped|read|handler|raw-hop|write|send|onmessage|onfate)(-[0-9]+)#\1/impl=\2\3#' "$out/bench.txt" >"$out/bench-impl.txt"
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl "$out/bench-impl.txt"
