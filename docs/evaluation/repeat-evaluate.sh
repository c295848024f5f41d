#!/usr/bin/env bash
# Evaluates cascade files several times each, in interleaved rounds, and prints one Markdown row per
# cascade: accuracy and loss (the same every round) and the wall-clock speedup against its last
# stage as the median [lowest-highest] of the rounds. Run it on a quiet machine (no training).
#   docs/evaluation/repeat-evaluate.sh 3 models/cascades/a.cascade.json models/cascades/b.cascade.json
# Options after -- go to every `sieve evaluate`, e.g. `-- --batch 256`.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1; shift
cascades=()
while (($#)) && [[ $1 != -- ]]; do cascades+=("$1"); shift; done
(($#)) && shift
work=$(mktemp -d)
for ((r = 1; r <= rounds; r++)); do
  for cascade in "${cascades[@]}"; do
    name=$(basename "$cascade" .cascade.json)
    ./sieve evaluate --cascade "$cascade" --out "$work/$name-$r" --sweep 0.01 "$@" >/dev/null
    echo "round $r: $name done" >&2
  done
done
python3 - "$work" "$rounds" "${cascades[@]}" <<'PY'
import json, statistics, sys
from pathlib import Path
work, rounds, cascades = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
print("| cascade | stages | test accuracy | loss vs last stage | exit rates | ms per frame | speedup vs last stage |")
print("| --- | --- | ---: | ---: | --- | ---: | ---: |")
fmt = lambda values, f: f"{f(statistics.median(values))} [{f(min(values))}-{f(max(values))}]"
for cascade in cascades:
    name = Path(cascade).name.removesuffix(".cascade.json")
    reports = [json.loads((work / f"{name}-{r}" / "report.json").read_text()) for r in range(1, rounds + 1)]
    result = reports[0]["result"]
    stages = " -> ".join(m["name"] for m in reports[0]["models"])
    ms = [r["result"]["msPerFrame"] for r in reports]
    speedups = [r["result"]["speedupVsLastStage"] for r in reports]
    exits = " / ".join(f"{e:.1%}" for e in result["exitRates"])
    print(f"| {name} | {stages} | {result['accuracy']:.2%} | {result['lossAgainstLastStage'] * 100:.2f} pts | {exits} | "
          f"{fmt(ms, lambda v: f'{v:.4f}')} | {fmt(speedups, lambda v: f'{v:.2f}x')} |")
PY
rm -rf "$work"
