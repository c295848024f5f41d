#!/usr/bin/env bash
# Throughput of the expensive stage with 1 and then 2 instances (separate JVMs), on the embedded
# platform: stage 0 never exits (threshold 2), so all 10,000 test frames (8 cameras) reach ResNet-20.
# Prints the final progress line of each run; logs under .sieve/bench/scale-out/.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.sieve/bench/scale-out
rm -rf "$out" && mkdir -p "$out"
cascade="$out/all-expensive.cascade.json"
sed -e 's/"threshold" : [0-9.]*/"threshold" : 2.0/' -e "s#\"\\.\\./onnx/#\"$PWD/models/onnx/#" \
    models/cascades/light.cascade.json > "$cascade"
./sieve platform --data-dir "$out/platform" start
trap './sieve platform --data-dir "$out/platform" stop' EXIT
for n in 1 2; do
  export SIEVE_TOPIC_PREFIX=scale$n- SIEVE_METRICS_PORT=0
  pids=()
  SIEVE_STATE_DIR=$out/state-$n-0 ./sieve stream --cascade "$cascade" --stages 0 > "$out/app-$n-0.log" 2>&1 & pids+=($!)
  for i in $(seq 1 "$n"); do
    SIEVE_STATE_DIR=$out/state-$n-1-$i ./sieve stream --cascade "$cascade" --stages 1 > "$out/app-$n-1-$i.log" 2>&1 & pids+=($!)
  done
  for f in "$out"/app-$n-*.log; do until grep -q "Running stages" "$f"; do sleep 1; done; done
  sleep 5
  ./sieve produce --cifar test --cameras 8 --limit 1250 --batch 64 --query "scale-$n" > "$out/produce-$n.log" 2>&1
  ./sieve query watch "scale-$n" --timeout 600 > "$out/watch-$n.log" 2>&1
  kill "${pids[@]}"; wait || true
  echo "$n expensive-stage instance(s): $(grep -o 'DONE \[#*\] [0-9,/]* [0-9]* fps' "$out/watch-$n.log")"
done
