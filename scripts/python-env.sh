#!/usr/bin/env bash
# Runs Python for the comparison scripts (benchmarks/quality/quality.py, the PyTorch reference
# in benchmarks/pytorch/) in their own virtual environment, build/python-env, made on first use:
#   scripts/python-env.sh benchmarks/quality/quality.py --deepfm build/release/examples/deepfm
# The environment sees the system's packages, so Debian's python3-torch serves where it is
# installed; otherwise pip installs torch and numpy from PyPI into it (a large download, once).
# Nothing else in the project needs Python: the quick start installs none of this.
# DEEPFM_TORCH=pypi makes a second environment, build/python-env-pypi, that does not see the
# system's packages, so that it gets the current torch wheel from PyPI even where Debian's
# (older) python3-torch is installed: what the speed comparison (benchmarks/compare_pytorch.py,
# scripts/bench.sh) is meant to meet. On Linux x86-64 PyPI's torch brings CUDA libraries too
# (some GB, once); it runs on the CPU where there is no GPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
site_packages=--system-site-packages
default_env=$root/build/python-env
if [ "${DEEPFM_TORCH:-}" = pypi ]; then
  site_packages=""
  default_env=$root/build/python-env-pypi
fi
env_dir=${DEEPFM_PYTHON_ENV:-$default_env}
if [ ! -x "$env_dir/bin/python" ]; then
  "$root/scripts/install-deps.sh" python
  # Debian's interpreter, the one python3-torch installs into (another python3 may be first on
  # PATH).
  base=/usr/bin/python3
  [ -x "$base" ] || base=$(command -v python3)
  "$base" -m venv $site_packages "$env_dir"
fi
if ! "$env_dir/bin/python" -c 'import torch, numpy' 2>/dev/null; then
  echo "python-env: installing torch and numpy into $env_dir" >&2
  "$env_dir/bin/python" -m pip install --quiet torch numpy
fi
exec "$env_dir/bin/python" "$@"
