#!/usr/bin/env bash
# README's test command: set up .venv, validate the production definition, run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/iop --migrate src/python/settings.py --dry-run --strict-production-validation
.venv/bin/python -m pytest "$@"
