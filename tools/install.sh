#!/usr/bin/env bash
# Install pynetlink into ./.venv (builds the C codec in place). Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v gcc >/dev/null || need+=(gcc)
python3 -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  || need+=(python3-dev)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
# compat: a plain .pth with the checkout, which type checkers (mypy, pyright) follow; the default
# editable mode installs an import hook they cannot see
# (setuptools calls this mode transitional and says so on stderr; it works)
.venv/bin/python -m pip install -q -e ".${PYNETLINK_EXTRAS:-}" --config-settings editable_mode=compat
echo "pynetlink installed in $(pwd)/.venv ($(.venv/bin/python -c 'import pynetlink._native as n; print(n.__file__)'))"
