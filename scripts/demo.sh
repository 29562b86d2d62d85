#!/usr/bin/env bash
# Install everything, build dist/, and run every mode end to end against a local
# Postgres and the Neon and GitHub emulators, printing what a user would see.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
node_modules/.bin/node scripts/demo.js
