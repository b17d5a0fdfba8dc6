#!/usr/bin/env bash
# Opt-in (not CI): shows that encoding streams. Generates a ~2.3 GB d2l file and its first
# 1M rows, encodes both into a fresh cache, and prints wall time and peak RSS of each: peak
# memory follows the vocabulary, not the file. Needs ~6 GB of free disk in $WORK.
# Usage: benchmarks/encode_memory.sh [build-dir]   (default build/release; builds deepfm_cli)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
[ -d "$build" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target deepfm_cli >/dev/null
deepfm="$build/examples/deepfm"
work=${WORK:-$(mktemp -d)}
trap 'rm -rf "$work"' EXIT

"$deepfm" generate --rows 10000000 --fields 34 --values-per-field 100000 --seed 5 --out "$work/big.csv"
"$deepfm" generate --rows 1500000 --fields 34 --values-per-field 100000 --seed 6 --out "$work/more.csv"
cat "$work/more.csv" >> "$work/big.csv" && rm "$work/more.csv"
head -1000000 "$work/big.csv" > "$work/small.csv"
for name in small big; do
  echo "== $name: $(stat -c %s "$work/$name.csv") bytes"
  /usr/bin/time -v "$deepfm" encode --train "$work/$name.csv" --cache-dir "$work/cache" 2>&1 |
    grep -E "^train|^time|Maximum resident"
done
