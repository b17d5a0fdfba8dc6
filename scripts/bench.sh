#!/usr/bin/env bash
# The speed measurements of issue 15 in one command:
#   scripts/bench.sh            # the full run (about 12 minutes on 2 cores, first torch
#                               # install aside)
#   scripts/bench.sh --quick    # a short smoke run of the same steps
# 1. installs what is missing (scripts/install-deps.sh bench: compiler, CMake, Eigen, CLI11,
#    Google Benchmark, ...) and builds the `deepfm` tool and the benchmarks in Release for this
#    machine (-march=native for everything, the tool included, whatever DEEPFM_NATIVE_ARCH
#    says) in build/bench ($DEEPFM_BENCH_BUILD; more CMake arguments in
#    $DEEPFM_BENCH_CMAKE_ARGS, e.g. -DDEEPFM_DISABLE_SIMD=ON for the scalar kernels);
# 2. runs benchmarks/train_step_bench (train steps and inference, d2l and Criteo-like
#    configurations, 1 thread and all threads, with FLOP/s and the fraction of the machine's
#    FLOP bound), benchmarks/predict_latency_bench (one-row p50/p99) and
#    benchmarks/kernels_bench (every kernel beside its scalar twin in kernels::ref);
# 3. runs benchmarks/compare_pytorch.py for the d2l and the Criteo-like configuration: deepfm
#    against the PyTorch reference on one generated file, both on all cores, in the comparison
#    scripts' Python environment. By default that is DEEPFM_TORCH=pypi (scripts/python-env.sh:
#    a virtual environment with the current torch wheel from PyPI, some GB on first use);
#    DEEPFM_TORCH=system uses build/python-env, which takes Debian's python3-torch where it is
#    installed (a generic-BLAS build, several times slower: not a fair peer).
# Results go to build/bench-data ($DEEPFM_BENCH_RESULTS): train_step_bench.{txt,json},
# predict_latency_bench.{txt,json}, kernels_bench.{txt,json}, compare-d2l.{md,json},
# compare-criteo.{md,json}.
# Other arguments go to compare_pytorch.py (e.g. --threads 1, --epochs 2, --rows 200000).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=()
if [ "${1:-}" = --quick ]; then
  quick=(--quick)
  shift
fi
build=${DEEPFM_BENCH_BUILD:-build/bench}
results=${DEEPFM_BENCH_RESULTS:-build/bench-data}
jobs=${DEEPFM_BENCH_JOBS:-$(nproc)}
export DEEPFM_TORCH=${DEEPFM_TORCH:-pypi}
start=$SECONDS

scripts/install-deps.sh bench
read -r -a extra_cmake_args <<<"${DEEPFM_BENCH_CMAKE_ARGS:-}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-march=native \
      -DDEEPFM_BUILD_TESTS=OFF -DDEEPFM_BUILD_EXAMPLES=ON -DDEEPFM_BUILD_BENCHMARKS=ON \
      "${extra_cmake_args[@]}" >/dev/null
cmake --build "$build" -j "$jobs" --target deepfm_cli train_step_bench predict_latency_bench \
      kernels_bench
echo "bench: built in $((SECONDS - start)) s"

mkdir -p "$results"
# Short minimum times keep the whole run near 12 minutes on 2 cores; each figure is one run,
# so compare runs only on a quiet machine.
# kernels_bench holds about 380 small benchmarks: 0.1 s each keeps it under 2 minutes.
min_time=0.5
kernels_min_time=0.1
[ ${#quick[@]} -eq 0 ] || { min_time=0.05; kernels_min_time=0.01; }
for bench in train_step_bench predict_latency_bench kernels_bench; do
  bench_min_time=$min_time
  [ "$bench" != kernels_bench ] || bench_min_time=$kernels_min_time
  "$build/benchmarks/$bench" --benchmark_min_time=$bench_min_time \
      --benchmark_out="$results/$bench.json" --benchmark_out_format=json |
    tee "$results/$bench.txt"
done

# Torch's environment first, so that its one-time install does not land inside a timing.
scripts/python-env.sh -c 'import torch; print("bench: torch", torch.__version__)'
for config in d2l criteo; do
  scripts/python-env.sh benchmarks/compare_pytorch.py --config "$config" \
      --deepfm "$build/examples/deepfm" --bench-dir "$build/benchmarks" --data-dir "$results" \
      "${quick[@]}" "$@" | tee "$results/compare-$config.txt"
done

echo "bench: done in $((SECONDS - start)) s; results in $results/:"
echo "  train_step_bench.txt/.json, predict_latency_bench.txt/.json, kernels_bench.txt/.json"
echo "  (Google Benchmark)"
echo "  compare-d2l.md, compare-criteo.md (deepfm vs PyTorch tables; .json: every figure)"
