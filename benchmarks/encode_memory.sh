#!/usr/bin/env bash
# Opt-in (not CI): the encoder's speed and memory. Generates d2l-format files, encodes each into
# a fresh cache on one thread and on all threads (`deepfm encode --threads`), prints wall time,
# input speed and peak RSS (/usr/bin/time -v), and checks that every thread count wrote the
# same cache entry, byte for byte.
#   worst:  34 fields x 100 000 uniformly drawn values (3.4M distinct), 11M rows, 2.2 GB
#   small:  its first 1M rows (197 MB)
#   d2l:    34 fields x 26 values (few distinct, like d2l's data), 11M rows
#   hashed: the worst case with --hash-buckets 100000 (no vocabulary)
#   criteo: Criteo's raw format (13 integer, 26 hashed columns; `deepfm generate --format
#           criteo`), 100 000 ids per field, 7M rows, 2.2 GB
# Usage: benchmarks/encode_memory.sh [build-dir]   (default build/release; builds deepfm_cli)
# QUICK=1 uses 1M-row files only. Needs ~6 GB of free disk in $WORK (a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
[ -d "$build" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target deepfm_cli >/dev/null
deepfm="$build/examples/deepfm"
work=${WORK:-$(mktemp -d)}
trap 'rm -rf "$work"' EXIT
rows=10000000
[ "${QUICK:-0}" = 1 ] && rows=0

generate() {  # name values-per-field
  "$deepfm" generate --rows 1000000 --fields 34 --values-per-field "$2" --seed 6 \
    --out "$work/$1.csv" >/dev/null
  if [ "$rows" -gt 0 ]; then
    "$deepfm" generate --rows "$rows" --fields 34 --values-per-field "$2" --seed 5 \
      --out "$work/more.csv" >/dev/null
    cat "$work/more.csv" >>"$work/$1.csv" && rm "$work/more.csv"
  fi
}

encode() {  # name threads [flags...]: one encode into a fresh cache; prints its figures
  local name=$1 threads=$2
  shift 2
  rm -rf "$work/cache-$threads"
  /usr/bin/time -v "$deepfm" encode --train "$work/$name.csv" --cache-dir "$work/cache-$threads" \
    --threads "$threads" "$@" 2>&1 | grep -E "^train|^time|Maximum resident" | sed 's/^/    /'
}

all=$(nproc)
run() {  # name [flags...]
  local name=$1
  shift
  echo "== $name $*: $(stat -c %s "$work/$name.csv") bytes"
  encode "$name" 1 "$@"
  encode "$name" "$all" "$@"
  if cmp -s <(cat "$work"/cache-1/*.dfmd) <(cat "$work/cache-$all"/*.dfmd); then
    echo "    same cache entry on 1 and $all threads"
  else
    echo "    CACHE ENTRIES DIFFER between 1 and $all threads" && exit 1
  fi
}

generate worst 100000
head -1000000 "$work/worst.csv" >"$work/small.csv"
run small
[ "$rows" -gt 0 ] && run worst
run worst --hash-buckets 100000
rm -f "$work/worst.csv" "$work/small.csv"
generate d2l 26
run d2l
rm -f "$work/d2l.csv"
criteo_parts=7
[ "$rows" -gt 0 ] || criteo_parts=1
for part in $(seq 1 "$criteo_parts"); do
  "$deepfm" generate --format criteo --rows 1000000 --values-per-field 100000 --seed "$part" \
    --out "$work/part.txt" >/dev/null
  cat "$work/part.txt" >>"$work/criteo.csv" && rm "$work/part.txt"
done
run criteo --format criteo
