#!/usr/bin/env bash
# Compares the memory `deepfm train` says it will need with its measured peak RSS
# (/usr/bin/time -v) on the README's configurations. Usage: benchmarks/memory_estimate.sh [deepfm]
set -euo pipefail
cd "$(dirname "$0")/.."
deepfm=${1:-build/release/examples/deepfm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=../shared/data
"$deepfm" generate --rows 300000 --fields 39 --values-per-field 20000 --out "$work/criteo-like.tsv" >/dev/null
run() {
  local name=$1; shift
  "$deepfm" train "$@" --cache-dir "$work/cache" --epochs 1 >/dev/null 2>&1  # encode into the cache first
  /usr/bin/time -v "$deepfm" train "$@" --cache-dir "$work/cache" --epochs 1 2>"$work/time" >"$work/out"
  local estimate rss
  estimate=$(sed -n 's/^memory: about \([^ ]* [kMG]*B\).*/\1/p' "$work/out")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
  printf '| %s | %s | %.1f MB |\n' "$name" "$estimate" "$(echo "$rss * 1.024 / 1000" | bc -l)"
}
echo "| configuration | estimate printed | peak RSS |"
echo "|---|---|---|"
[ -f "$data/d2l-ctr/test.csv" ] && run "d2l test.csv (3000 rows, 34 fields)" --train "$data/d2l-ctr/test.csv"
[ -f "$data/criteo-raw-pytorch-fm/train.txt" ] &&
  run "Criteo raw sample (1000 rows, 39 fields)" --train "$data/criteo-raw-pytorch-fm/train.txt" --format criteo
run "built-in generated (80k rows, 9 fields)"
run "Criteo-like generated (300k rows, 39 fields, 780k ids)" --train "$work/criteo-like.tsv" --min-count 1
