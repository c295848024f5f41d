#!/bin/bash
# Back-to-back `bench pipeline`: an older commit, checked out and built in a worktree (OLD, e.g.
# git worktree add /tmp/wt 4db8f73 && (cd /tmp/wt && ./mvnw -q install -DskipTests)), against this
# tree, interleaved old, new, old, new, ... so that drift on the machine hits both alike.
# Usage: docs/bench/back-to-back.sh OLD_TREE OUT_DIR [ROUNDS]; then docs/bench/back-to-back-summary.py OUT_DIR
set -u
old_tree=$1; out=$2; rounds=${3:-3}
new_tree="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
  for side in old new; do
    dir=$new_tree; [[ $side == old ]] && dir=$old_tree
    echo "=== round $round $side $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$dir" && SIEVE_SKIP_BUILD=1 ./sieve bench pipeline --eps 0.01 --frames 5000 --out "$out/$side-$round" --report none) \
        > "$out/$side-$round.log" 2>&1
    echo "rc=$? $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
