#!/usr/bin/env bash
# The quick start's test command (and CI's): installs what is missing, then for each compiler
# (g++ and clang++; override with DEEPFM_COMPILERS="g++") configures with warnings as errors,
# builds the tests, benchmarks and examples, and runs the suite under CTest. Then it builds the
# tests and examples once more with g++ under AddressSanitizer (leaks included) and
# UndefinedBehaviorSanitizer, every report fatal (CMakePresets.json "asan", build/asan), and
# runs the suite again; DEEPFM_SANITIZE_STAGE=0 leaves that stage out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh tests

jobs=$(nproc)
read -r -a compilers <<<"${DEEPFM_COMPILERS:-g++ clang++}"
failed=()
for cxx in "${compilers[@]}"; do
  build="build/test-${cxx//+/x}"
  echo "==== ${cxx}: configure, build, test in ${build}"
  if cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
           -DDEEPFM_WARNINGS_AS_ERRORS=ON -DDEEPFM_BUILD_TESTS=ON -DDEEPFM_BUILD_BENCHMARKS=ON \
           -DDEEPFM_BUILD_EXAMPLES=ON &&
     cmake --build "$build" -j "$jobs" &&
     ctest --test-dir "$build" --output-on-failure -j "$jobs"; then
    echo "==== ${cxx}: passed"
  else
    echo "==== ${cxx}: FAILED"
    failed+=("$cxx")
  fi
done

# The sanitizer stage: the preset holds the flags and the ASAN_OPTIONS/UBSAN_OPTIONS.
if [ "${DEEPFM_SANITIZE_STAGE:-1}" != 0 ]; then
  echo "==== asan: configure, build, test in build/asan (g++, -fsanitize=address,undefined)"
  start=$(date +%s)
  if cmake --preset asan && cmake --build --preset asan -j "$jobs"; then
    built=$(date +%s)
    if ctest --preset asan -j "$jobs"; then
      echo "==== asan: passed (build $((built - start)) s, tests $(($(date +%s) - built)) s)"
    else
      echo "==== asan: FAILED"
      failed+=(asan)
    fi
  else
    echo "==== asan: FAILED to build"
    failed+=(asan)
  fi
fi

if [ ${#failed[@]} -ne 0 ]; then
  echo "run-tests: failed with ${failed[*]}"
  exit 1
fi
passed="${compilers[*]}"
if [ "${DEEPFM_SANITIZE_STAGE:-1}" != 0 ]; then passed+=" and g++ under ASan+UBSan"; fi
echo "run-tests: all tests passed with ${passed}"
