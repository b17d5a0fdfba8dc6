#!/usr/bin/env bash
# deepfm's libFuzzer targets (tests/fuzz/README.md), built with clang++ in build/fuzz.
#
#   scripts/fuzz.sh TARGET SECONDS [JOBS]  fuzz TARGET ("all": each in turn) for SECONDS, from
#                                          the committed corpus (+ seeds derived from
#                                          ../shared/data when present); then merge what adds
#                                          coverage into tests/fuzz/corpus/TARGET and print the
#                                          execution count (also added to build/fuzz-counts.tsv)
#   scripts/fuzz.sh replay [TARGET]        run the committed corpora once through the fuzzers
#   scripts/fuzz.sh minimize [TARGET]      keep seed-* and regression-* inputs and, of the
#                                          rest, only what adds coverage to them
#   scripts/fuzz.sh seeds                  rewrite the crafted seeds (corpus/*/seed-*)
#   scripts/fuzz.sh counts                 executions so far per target, from the ledger
#   scripts/fuzz.sh counts-table           the same as the README's Markdown table
#
# DEEPFM_FUZZ_SANITIZE picks the sanitizers besides libFuzzer (default address,undefined).
# "undefined" builds build/fuzz-undefined, several times faster: use it for volume, then
# replay the corpus under ASan (`scripts/fuzz.sh replay`, and the CTest replay tests of the
# asan preset).
# Fuzzers run under `nice -n 10`; a crash, hang (-timeout) or leak stops the run and leaves
# the input in BUILD/findings/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(d2l criteo csv libsvm libffm gzip binary_dataset section_file model_file cli_numbers)
sanitize=${DEEPFM_FUZZ_SANITIZE-address,undefined}
build=build/fuzz
if [ "$sanitize" != "address,undefined" ]; then build="build/fuzz-${sanitize//,/-}"; fi
if [ -z "$sanitize" ]; then build=build/fuzz-none; fi
ledger=build/fuzz-counts.tsv
root=$PWD

usage() {
  sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

configure() {
  if ! command -v clang++ >/dev/null; then
    echo "fuzz.sh: needs clang++ and libFuzzer: apt-get install clang-14 libclang-rt-14-dev" >&2
    exit 2
  fi
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
          -DDEEPFM_BUILD_FUZZERS=ON -DDEEPFM_FUZZ_SANITIZE="$sanitize" -DDEEPFM_BUILD_TESTS=ON \
          -DDEEPFM_BUILD_EXAMPLES=OFF -DDEEPFM_BUILD_BENCHMARKS=OFF -DDEEPFM_INSTALL=OFF >/dev/null
  fi
}

build_targets() {
  local names=()
  for t in "$@"; do names+=("deepfm_fuzz_$t"); done
  nice -n 10 cmake --build "$build" -j "${DEEPFM_FUZZ_BUILD_JOBS:-2}" --target "${names[@]}"
}

max_len() {
  case $1 in
    cli_numbers) echo 1024 ;;
    model_file | section_file) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

# Seeds derived from ../shared/data at run time, never committed and never copied: every
# letter and digit is replaced by a random one of its kind, so a seed keeps the files' shape
# (column counts, empty and ragged columns, value lengths, CRLF endings) but no data value.
# The label column and the published column names (click, id, Label, Id, I1.., C1..) stay, so
# the rows still parse. Runs of the fuzzer start from these and from the committed corpus.
shared_seeds() {
  local target=$1 out=$2 data=../shared/data files=() separator=$'\t' compress=0
  [ -d "$data" ] || return 1
  case $target in
    d2l) files=("$data/d2l-ctr/test.csv") ;;
    criteo) files=("$data/criteo-raw-pytorch-fm/train.txt") ;;
    csv) files=("$data/avazu-kaggle-tiny/tr.rx.csv" "$data/criteo-kaggle-tiny/train.tiny.csv")
         separator=, ;;
    gzip) files=("$data/d2l-ctr/test.csv") compress=1 ;;
    *) return 1 ;;
  esac
  rm -rf "$out"
  mkdir -p "$out"
  local file name chunk scrambled
  for file in "${files[@]}"; do
    [ -f "$file" ] || continue
    name=$(basename "$(dirname "$file")")
    scrambled=$out/.scrambled
    LC_ALL=C awk -v FS="$separator" -v OFS="$separator" -v header=$([ "$separator" = , ] && echo 1 || echo 0) '
      BEGIN { srand(7); d = "0123456789"; l = "abcdefghijklmnopqrstuvwxyz"; u = toupper(l) }
      function scramble(s,    out, i, c) {
        out = ""
        for (i = 1; i <= length(s); i++) {
          c = substr(s, i, 1)
          if (c ~ /[0-9]/) c = substr(d, int(rand() * 10) + 1, 1)
          else if (c ~ /[a-z]/) c = substr(l, int(rand() * 26) + 1, 1)
          else if (c ~ /[A-Z]/) c = substr(u, int(rand() * 26) + 1, 1)
          out = out c
        }
        return out
      }
      NR == 1 && header {
        for (i = 1; i <= NF; i++) {
          name = $i; sub(/\r$/, "", name)
          if (name == "click" || name == "Label") keep[i] = 1
          if (name !~ /^(click|id|Label|Id|[IC][0-9]+)$/) $i = scramble($i)
        }
        print; next
      }
      { for (i = 1; i <= NF; i++) if (!(header ? keep[i] : i == 1)) $i = scramble($i); print }
    ' "$file" >"$scrambled"
    for chunk in 0 1 2 3; do
      local seed=$out/shared-$name-$chunk
      if [ "$separator" = , ]; then
        { head -n 1 "$scrambled"; tail -n +$((2 + chunk * 8)) "$scrambled" | head -n 8; } >"$seed"
      else
        tail -n +$((1 + chunk * 8)) "$scrambled" | head -n 8 >"$seed"
      fi
      if [ "$compress" = 1 ]; then gzip -9nc "$seed" >"$seed.gz" && rm "$seed"; fi
    done
    rm -f "$scrambled"
  done
}

run_target() {
  local target=$1 seconds=$2 jobs=$3
  local bin=$root/$build/tests/fuzz/deepfm_fuzz_$target
  local corpus=$root/tests/fuzz/corpus/$target
  local work=$root/$build/work/$target
  local logs=$root/$build/logs/$target
  local findings=$root/$build/findings/$target
  mkdir -p "$work" "$logs" "$findings" "$corpus"
  local dirs=("$work" "$corpus")
  if shared_seeds "$target" "$root/$build/shared-seeds/$target"; then
    dirs+=("$root/$build/shared-seeds/$target")
  fi
  local options=(-max_total_time="$seconds" -print_final_stats=1 -max_len="$(max_len "$target")"
                 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$findings/")
  local dict=$root/tests/fuzz/dict/$target.dict
  [ -f "$dict" ] && options+=(-dict="$dict")
  local stamp log status=0
  stamp=$(date +%Y%m%d-%H%M%S)
  echo "==== $target: ${seconds}s, $jobs job(s), sanitizers: ${sanitize:-none} ($build)"
  rm -f "$logs"/fuzz-*.log
  if [ "$jobs" -gt 1 ]; then
    # -jobs: each worker runs max_total_time itself and logs to fuzz-N.log in the folder.
    (cd "$logs" && nice -n 10 "$bin" "${options[@]}" -jobs="$jobs" -workers="$jobs" "${dirs[@]}" \
       >"$logs/$stamp.log" 2>&1) || status=$?
    cat "$logs"/fuzz-*.log >>"$logs/$stamp.log" 2>/dev/null || true
  else
    nice -n 10 "$bin" "${options[@]}" "${dirs[@]}" >"$logs/$stamp.log" 2>&1 || status=$?
  fi
  log=$logs/$stamp.log
  local executed
  executed=$(awk '/stat::number_of_executed_units/ { n += $2 } END { print n + 0 }' "$log")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$stamp" "$target" "$seconds" "$jobs" "${sanitize:-none}" \
         "$executed" "$status" >>"$root/$ledger"
  if [ "$status" != 0 ]; then
    grep -E "ERROR|finding|SUMMARY|terminate|Test unit written" "$log" | head -20 >&2 || true
    echo "==== $target: FINDING after $executed executions; input and log: $findings, $log" >&2
    return 1
  fi
  local before after
  before=$(find "$corpus" -type f | wc -l)
  nice -n 10 "$bin" -merge=1 -max_len="$(max_len "$target")" -artifact_prefix="$findings/" \
    "$corpus" "$work" >"$logs/$stamp.merge.log" 2>&1
  after=$(find "$corpus" -type f | wc -l)
  echo "==== $target: $executed executions, no finding; corpus $before -> $after files" \
       "($(total "$target") executions in the ledger)"
}

total() {
  [ -f "$root/$ledger" ] || { echo 0; return; }
  awk -F'\t' -v t="$1" '$2 == t && $7 == 0 { n += $6 } END { print n + 0 }' "$root/$ledger"
}

command=${1:-}
case $command in
  "" | -h | --help) usage ;;
  seeds)
    configure
    nice -n 10 cmake --build "$build" -j 2 --target deepfm_fuzz_make_seeds
    "$build/tests/fuzz/deepfm_fuzz_make_seeds" tests/fuzz/corpus
    ;;
  replay)
    targets=("${all_targets[@]}")
    [ $# -ge 2 ] && targets=("$2")
    configure
    build_targets "${targets[@]}"
    failed=0
    for t in "${targets[@]}"; do
      mkdir -p "$build/findings/$t"
      # -runs=0: every corpus input once (with ASan, leaks included), then stop.
      if output=$("$build/tests/fuzz/deepfm_fuzz_$t" -runs=0 -max_len="$(max_len "$t")" \
                    -artifact_prefix="$build/findings/$t/" "tests/fuzz/corpus/$t" 2>&1); then
        echo "$t: $(find "tests/fuzz/corpus/$t" -type f | wc -l) inputs, no finding"
      else
        echo "$t: FINDING" >&2
        grep -E "ERROR|finding|SUMMARY|terminate" <<<"$output" | head -10 >&2 || true
        failed=1
      fi
    done
    exit "$failed"
    ;;
  minimize)
    targets=("${all_targets[@]}")
    [ $# -ge 2 ] && targets=("$2")
    configure
    build_targets "${targets[@]}"
    for t in "${targets[@]}"; do
      corpus=tests/fuzz/corpus/$t
      kept=$build/minimize/$t
      rm -rf "$kept" && mkdir -p "$kept"
      find "$corpus" -maxdepth 1 -type f \( -name 'seed-*' -o -name 'regression-*' \) \
        -exec cp {} "$kept/" \;
      nice -n 10 "$build/tests/fuzz/deepfm_fuzz_$t" -merge=1 -max_len="$(max_len "$t")" \
        -artifact_prefix="$build/findings/$t/" "$kept" "$corpus" >"$build/minimize/$t.log" 2>&1
      before=$(find "$corpus" -type f | wc -l)
      if [ -z "$(ls -A "$kept")" ]; then  # never swap a corpus for nothing
        echo "$t: the merge kept no input; corpus left as it was" >&2
        continue
      fi
      find "$corpus" -maxdepth 1 -type f -delete
      cp "$kept"/* "$corpus/"
      echo "$t: $before -> $(find "$corpus" -type f | wc -l) inputs"
    done
    ;;
  counts)
    for t in "${all_targets[@]}"; do printf '%-16s %12s\n' "$t" "$(total "$t")"; done
    ;;
  counts-table)
    # The README's table: clean runs only (a run that found a bug is not counted).
    echo "| target | executions | under ASan+UBSan | under UBSan only | core-seconds | corpus inputs | of the 10 M goal |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for t in "${all_targets[@]}"; do
      awk -F'\t' -v t="$t" -v inputs="$(find "tests/fuzz/corpus/$t" -type f | wc -l)" '
        function group(n) { s = sprintf("%d", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]([ ]|$)/, " &", s); return s }
        $2 == t && $7 == 0 { n += $6; if ($5 == "address,undefined") a += $6; else u += $6; secs += $3 * $4 }
        END { printf "| `%s` | %s | %s | %s | %d | %d | %d%% |\n", t, group(n), group(a), group(u), secs, inputs, n / 100000 }
      ' "$root/$ledger"
    done
    ;;
  *)
    [ $# -ge 2 ] || usage
    targets=("$command")
    [ "$command" = all ] && targets=("${all_targets[@]}")
    for t in "${targets[@]}"; do
      [ -f "tests/fuzz/${t}_fuzz.cpp" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
    done
    configure
    build_targets "${targets[@]}"
    for t in "${targets[@]}"; do run_target "$t" "$2" "${3:-1}"; done
    ;;
esac
