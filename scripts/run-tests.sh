#!/usr/bin/env bash
# The quick start's test command (and CI's): installs what is missing, then for each compiler
# (g++ and clang++; override with DEEPFM_COMPILERS="g++") configures with warnings as errors,
# builds the tests, benchmarks and examples, and runs the suite under CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

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

if [ ${#failed[@]} -ne 0 ]; then
  echo "run-tests: failed with ${failed[*]}"
  exit 1
fi
echo "run-tests: all tests passed with ${compilers[*]}"
