#!/usr/bin/env bash
# The whole test suite, from a clean clone: set-up, native Rust tests, dist/ build, then the
# end-to-end suites that run dist/ as the GitHub runner does against real Postgres and the
# Neon and GitHub emulators.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== cargo test"
cargo test --quiet

echo "== build dist/"
bash scripts/build.sh

echo "== end-to-end (Node 24: node --test)"
shopt -s globstar nullglob
node_modules/.bin/node --test --test-reporter=spec tests/**/*.test.js
