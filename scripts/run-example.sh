#!/usr/bin/env bash
# The quick start's main job: installs what is missing, builds in Release, and trains DeepFM and
# FM on generated data (arguments go to the example; try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEEPFM_BUILD_TESTS=OFF \
      -DDEEPFM_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release --target train_synthetic
exec build/release/examples/train_synthetic "$@"
