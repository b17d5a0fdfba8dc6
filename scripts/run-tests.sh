#!/usr/bin/env bash
# The quick start's test command (and CI's): installs what is missing, then for each compiler
# (g++ and clang++; override with DEEPFM_COMPILERS="g++") configures with warnings as errors,
# builds the tests, benchmarks and examples, and runs the suite under CTest. Those builds are
# for this CPU (-march=native) and so run its SIMD kernels; the next stage builds the tests and
# examples once more with g++ and every kernel on its scalar path (-DDEEPFM_DISABLE_SIMD=ON,
# build/test-scalar) and runs the suite again; DEEPFM_SCALAR_STAGE=0 leaves it out. Last, it
# builds the tests and examples with g++ under AddressSanitizer (leaks included) and
# UndefinedBehaviorSanitizer, every report fatal (CMakePresets.json "asan", build/asan), and
# runs the suite again; DEEPFM_SANITIZE_STAGE=0 leaves that stage out. Then it builds the
# threaded tests (deepfm_threaded_tests) with clang++ under ThreadSanitizer, on parallel_for's
# std::thread backend (CMakePresets.json "tsan", build/tsan), and runs them;
# DEEPFM_TSAN_STAGE=0 leaves that stage out. DEEPFM_JOBS sets the build and test parallelism
# (default: the number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh tests

jobs=${DEEPFM_JOBS:-$(nproc)}
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

# The scalar stage: the whole suite with DEEPFM_DISABLE_SIMD, so that the scalar kernels (what
# a build without AVX2 or AVX-512 flags runs) pass the same tests as the SIMD ones. No
# benchmarks: they measure speed.
if [ "${DEEPFM_SCALAR_STAGE:-1}" != 0 ]; then
  echo "==== scalar: configure, build, test in build/test-scalar (g++, -DDEEPFM_DISABLE_SIMD=ON)"
  start=$(date +%s)
  if cmake -S . -B build/test-scalar -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
           -DDEEPFM_WARNINGS_AS_ERRORS=ON -DDEEPFM_DISABLE_SIMD=ON -DDEEPFM_BUILD_TESTS=ON \
           -DDEEPFM_BUILD_BENCHMARKS=OFF -DDEEPFM_BUILD_EXAMPLES=ON &&
     cmake --build build/test-scalar -j "$jobs"; then
    built=$(date +%s)
    if ctest --test-dir build/test-scalar --output-on-failure -j "$jobs"; then
      echo "==== scalar: passed (build $((built - start)) s, tests $(($(date +%s) - built)) s)"
    else
      echo "==== scalar: FAILED"
      failed+=(scalar)
    fi
  else
    echo "==== scalar: FAILED to build"
    failed+=(scalar)
  fi
fi

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

# The ThreadSanitizer stage: the threaded subset only (the tests of parallel_for and its pool,
# the layers, optimizers, models, fit, Trainer, Predictor and kernels; measured: 111 s to build
# with one job, 40 s to test on 2 cores), on the std::thread backend: TSan does not understand
# libgomp's barriers. The preset holds the flags and TSAN_OPTIONS.
if [ "${DEEPFM_TSAN_STAGE:-1}" != 0 ]; then
  echo "==== tsan: configure, build, test in build/tsan (clang++, -fsanitize=thread, std threads)"
  start=$(date +%s)
  # clang 14's TSan cannot place its shadow memory under more than 28 bits of mmap
  # randomisation (some kernels from 6.5 on use 32): there the tests run without ASLR.
  no_aslr=()
  if [ "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)" -gt 28 ]; then
    no_aslr=(setarch "$(uname -m)" -R)
  fi
  if cmake --preset tsan && cmake --build --preset tsan -j "$jobs"; then
    built=$(date +%s)
    if ${no_aslr[@]+"${no_aslr[@]}"} ctest --preset tsan -j "$jobs"; then
      echo "==== tsan: passed (build $((built - start)) s, tests $(($(date +%s) - built)) s)"
    else
      echo "==== tsan: FAILED"
      failed+=(tsan)
    fi
  else
    echo "==== tsan: FAILED to build"
    failed+=(tsan)
  fi
fi

if [ ${#failed[@]} -ne 0 ]; then
  echo "run-tests: failed with ${failed[*]}"
  exit 1
fi
passed=("${compilers[@]}")
if [ "${DEEPFM_SCALAR_STAGE:-1}" != 0 ]; then passed+=("g++ with the scalar kernels"); fi
if [ "${DEEPFM_SANITIZE_STAGE:-1}" != 0 ]; then passed+=("g++ under ASan+UBSan"); fi
if [ "${DEEPFM_TSAN_STAGE:-1}" != 0 ]; then passed+=("clang++ under TSan (threaded tests)"); fi
summary=""
for i in "${!passed[@]}"; do
  if [ "$i" -eq 0 ]; then
    summary=${passed[i]}
  elif [ "$i" -eq $((${#passed[@]} - 1)) ]; then
    summary+=" and ${passed[i]}"
  else
    summary+=", ${passed[i]}"
  fi
done
echo "run-tests: all tests passed with ${summary:-no stage}"
