#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages deepfm needs, only those missing (apt-get; sudo when not
# root). Works on Debian 12 and Ubuntu 22.04. One argument says for what:
#   tool    the `deepfm` tool alone (the quick start's main job): compiler, CMake, Eigen,
#           CLI11, zlib, xxHash, Abseil
#   tests   (the default) everything the test command builds and runs: clang++ with its
#           ThreadSanitizer runtime, Catch2, nlohmann-json (the tests' strict JSON parser),
#           Google Benchmark, OpenMP for clang, and Debian's python3-torch for the PyTorch trajectory check (skipped where the
#           package is not offered; DEEPFM_SKIP_TORCH=1 leaves it out)
#   bench   the tool and the benchmarks (scripts/bench.sh): the tool's packages and Google
#           Benchmark (torch comes from scripts/python-env.sh, not from here)
#   python  python3-venv, for scripts/python-env.sh (the comparison scripts' environment)
set -euo pipefail
profile=${1:-tests}

packages=(build-essential cmake ninja-build pkg-config libeigen3-dev libcli11-dev zlib1g-dev
          libxxhash-dev libabsl-dev)
case "$profile" in
  tool) ;;
  bench) packages+=(libbenchmark-dev) ;;
  tests) packages+=(catch2 nlohmann-json3-dev libbenchmark-dev clang libomp-dev) ;;
  python) packages=(python3 python3-venv) ;;
  *) echo "install-deps: unknown profile '$profile' (tool, tests, bench or python)" >&2; exit 2 ;;
esac

missing_from() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      echo "$package"
  done
}

updated=""
install() {
  [ $# -eq 0 ] && return 0
  echo "install-deps: installing $*"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install $*" >&2; exit 1; }
    sudo="sudo"
  fi
  if [ -z "$updated" ]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    updated=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

mapfile -t missing < <(missing_from "${packages[@]}")
install "${missing[@]}"

[ "$profile" = tests ] || exit 0

# clang++ uses the libstdc++ of the newest GCC it finds. On Ubuntu 22.04 that can be a GCC 12
# whose runtime is installed without its headers ("'iostream' file not found"); add them.
gcc_dir=$(clang++ -v 2>&1 | sed -n 's|^Selected GCC installation: .*/||p' || true)
gcc_major=${gcc_dir%%.*}
if [[ "$gcc_major" =~ ^[0-9]+$ ]]; then
  mapfile -t missing < <(missing_from "libstdc++-${gcc_major}-dev")
  install "${missing[@]}"
fi

# clang's ThreadSanitizer runtime, for run-tests.sh's tsan stage. Debian 12 ships it in
# libclang-rt-N-dev, which clang only recommends (and this script installs no recommends);
# Ubuntu 22.04 has it in libclang-common-N-dev, which clang depends on.
probe=$(mktemp -d)
if ! echo 'int main() {}' | clang++ -fsanitize=thread -x c++ - -o "$probe/tsan" 2>/dev/null; then
  clang_major=$(clang++ -dumpversion | cut -d. -f1)
  install "libclang-rt-${clang_major}-dev"
fi
rm -rf "$probe"

# The PyTorch trajectory test (benchmarks/pytorch/) runs under the system interpreter with the
# distribution's torch; where the package is not offered it reports SKIPPED.
optional=(python3-torch python3-numpy)
if [ "${DEEPFM_SKIP_TORCH:-0}" != 1 ]; then
  mapfile -t missing < <(missing_from "${optional[@]}")
  if [ ${#missing[@]} -ne 0 ]; then
    install "${missing[@]}" || echo "install-deps: ${missing[*]} not installed; the PyTorch check will be skipped"
  fi
fi
