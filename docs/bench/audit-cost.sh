#!/bin/bash
# What the live audit costs: `bench pipeline` at eps = 1% with the audit off (--audit-rate 0) and at
# the cascade's default rate, interleaved off, on, off, on, ... so that drift on the machine hits
# both alike. Usage: docs/bench/audit-cost.sh OUT_DIR [ROUNDS]; then
# python3 docs/bench/back-to-back-summary.py OUT_DIR off on
set -u
out=$1; rounds=${2:-3}
tree="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
  for side in off on; do
    rate=(); [[ $side == off ]] && rate=(--audit-rate 0)
    echo "=== round $round audit $side $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$tree" && SIEVE_SKIP_BUILD=1 ./sieve bench pipeline --eps 0.01 --frames 5000 "${rate[@]}" --out "$out/$side-$round" --report none) \
        > "$out/$side-$round.log" 2>&1
    echo "rc=$? $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
