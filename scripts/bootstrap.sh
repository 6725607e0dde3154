#!/usr/bin/env bash
# Set up everything the suite needs on a fresh machine: a virtual environment with the
# suite and its dependencies in .venv, a Chromium (found, or Debian's package installed
# when running as root on Debian), and, for the project's own tests, the real backends they
# run in network namespaces (Debian's janus, janus-demos, coturn, kamailio, nodejs and npm,
# and the stacks catalog's npm libraries; as root on Debian, otherwise those tests skip),
# and ESLint (npm, package-lock.json) for the project's own JavaScript checks. Safe to run
# again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# Reinstall only when the project's metadata changed since the last install.
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi
.venv/bin/conformance setup --test-backends
# ESLint over the reference shim (tests/reference_impl/test_ref_shim_modules.py): the locked versions, into ./node_modules.
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
fi
if command -v npm >/dev/null; then
    npm_stamp=node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)
    if [ ! -f "$npm_stamp" ]; then
        npm ci --no-audit --no-fund --loglevel=error
        touch "$npm_stamp"
    fi
else
    echo "bootstrap: no npm: the ESLint check (tests/reference_impl/test_ref_shim_modules.py) will skip" >&2
fi
