#!/usr/bin/env bash
# Trick-by-trick ablation of the modern recipe (#19): AirNet trained with one trick left out at a
# time, each judged on the validation split against the full recipe (models/onnx/airnet.card.json).
# Resumable: a finished run has its card in models/ablation/ and is skipped; an interrupted one
# resumes from its checkpoint. About 30 min of both cores per trick; time nothing while it runs.
#   models/ablate.sh                  # every trick, then the table
#   models/ablate.sh lookahead whiten # only these
#   models/ablate.sh --table          # only the table of what has finished
set -euo pipefail
cd "$(dirname "$0")/.."
out=models/ablation
tricks=(whiten dirac label_smoothing lookahead bn_momentum bias_lr alt_flip)
[[ $# -gt 0 && $1 != --table ]] && tricks=("$@")
if [[ ${1:-} != --table ]]; then
  mkdir -p "$out" models/logs
  for trick in "${tricks[@]}"; do
    [[ -f $out/airnet-without-$trick.card.json ]] && { echo "airnet without $trick: done"; continue; }
    /usr/bin/python3 models/train.py airnet --without "$trick" --out "$out" 2>&1 | tee -a "models/logs/ablate-$trick.log"
  done
fi
/usr/bin/python3 - "$out" <<'PY'
import json, sys
from pathlib import Path
full = json.loads(Path("models/onnx/airnet.card.json").read_text())
print("| recipe | validation acc. | change | test acc. | training min |")
print("| --- | ---: | ---: | ---: | ---: |")
def row(label, card, delta):
    print(f"| {label} | {card['validation_accuracy']:.2%} | {delta} | {card['test_accuracy']:.2%} | "
          f"{card['training'].get('training_minutes', '')} |")
row("full recipe", full, "")
for card_file in sorted(Path(sys.argv[1]).glob("airnet-without-*.card.json")):
    card = json.loads(card_file.read_text())
    trick = card["name"].removeprefix("airnet-without-")
    row(f"without {trick}", card, f"{(card['validation_accuracy'] - full['validation_accuracy']) * 100:+.2f} pts")
PY
