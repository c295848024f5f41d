#!/usr/bin/env bash
# Replication factor 3 against 1: the pipeline benchmark on the embedded single broker and on the
# embedded 3-broker cluster, interleaved twice (BENCHMARKS.md, "Replication factor 3 against 1").
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-target/rf-compare}"
mkdir -p "$out"
for run in 1 2; do
  for brokers in 1 3; do
    echo "=== run $run, $brokers broker(s), $(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
    ./sieve bench pipeline --brokers "$brokers" --eps 0.01 --frames 5000 --latency-seconds 5 \
        --out "$out/$brokers-$run" --report "$out/$brokers-$run.md" > "$out/$brokers-$run.log" 2>&1
    grep -E '^\| (resnet|sieve|cascade)' "$out/$brokers-$run.md"
  done
done
echo "=== end $(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
