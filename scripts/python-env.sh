#!/usr/bin/env bash
# Runs Python for the comparison scripts (benchmarks/quality/quality.py, the PyTorch reference
# in benchmarks/pytorch/) in their own virtual environment, build/python-env, made on first use:
#   scripts/python-env.sh benchmarks/quality/quality.py --deepfm build/release/examples/deepfm
# The environment sees the system's packages, so Debian's python3-torch serves where it is
# installed; otherwise pip installs torch and numpy from PyPI into it (a large download, once).
# Nothing else in the project needs Python: the quick start installs none of this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_dir=${DEEPFM_PYTHON_ENV:-$root/build/python-env}
if [ ! -x "$env_dir/bin/python" ]; then
  "$root/scripts/install-deps.sh" python
  # Debian's interpreter, the one python3-torch installs into (another python3 may be first on
  # PATH).
  base=/usr/bin/python3
  [ -x "$base" ] || base=$(command -v python3)
  "$base" -m venv --system-site-packages "$env_dir"
fi
if ! "$env_dir/bin/python" -c 'import torch, numpy' 2>/dev/null; then
  echo "python-env: installing torch and numpy into $env_dir" >&2
  "$env_dir/bin/python" -m pip install --quiet torch numpy
fi
exec "$env_dir/bin/python" "$@"
