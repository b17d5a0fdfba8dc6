#!/usr/bin/env bash
# The quick start's main job: installs what is missing, builds in Release, and runs the
# `deepfm` trainer on its built-in generated data (DeepFM, d2l's setup; the generator's
# Bayes-optimal AUC is printed for comparison). Arguments go to `deepfm train` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh tool
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEEPFM_BUILD_TESTS=OFF \
      -DDEEPFM_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release --target deepfm_cli
exec build/release/examples/deepfm train "$@"
