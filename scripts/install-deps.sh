#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages deepfm builds with, only those missing (apt-get; sudo when
# not root). Works on Debian 12 and Ubuntu 22.04.
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config libeigen3-dev catch2 libbenchmark-dev
          libcli11-dev zlib1g-dev clang libomp-dev)

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

# clang++ uses the libstdc++ of the newest GCC it finds. On Ubuntu 22.04 that can be a GCC 12
# whose runtime is installed without its headers ("'iostream' file not found"); add them.
gcc_dir=$(clang++ -v 2>&1 | sed -n 's|^Selected GCC installation: .*/||p' || true)
gcc_major=${gcc_dir%%.*}
if [[ "$gcc_major" =~ ^[0-9]+$ ]]; then
  mapfile -t missing < <(missing_from "libstdc++-${gcc_major}-dev")
  install "${missing[@]}"
fi

# The PyTorch reference (benchmarks/pytorch/) runs under the system interpreter with the
# distribution's torch; where the package is not offered its CTest test reports SKIPPED.
optional=(python3-torch python3-numpy)
if [ "${DEEPFM_SKIP_TORCH:-0}" != 1 ]; then
  mapfile -t missing < <(missing_from "${optional[@]}")
  if [ ${#missing[@]} -ne 0 ]; then
    install "${missing[@]}" || echo "install-deps: ${missing[*]} not installed; the PyTorch check will be skipped"
  fi
fi
