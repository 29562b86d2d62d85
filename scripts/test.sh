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
# Each test process writes its counters here (tests/support/guard.js); summed below.
export NEON_GITOPS_STATS_DIR
NEON_GITOPS_STATS_DIR=$(mktemp -d)
trap 'rm -rf "$NEON_GITOPS_STATS_DIR"' EXIT
status=0
node_modules/.bin/node --test --test-reporter=spec tests/**/*.test.js || status=$?
# Where Neon's docs are silent on a restored branch's parent, the emulator has a switch
# (tests/emulators/neon/README.md): the suites whose branch trees depend on it run again
# under the other reading.
echo "== end-to-end again with the Neon emulator's restoreParent: 'source'"
NEON_EMULATOR_RESTORE_PARENT=source node_modules/.bin/node --test --test-reporter=spec \
  tests/e2e/sync.test.js tests/e2e/preview.test.js tests/e2e/migrate-rehearsal.test.js || status=$?
node_modules/.bin/node -e '
  const fs = require("fs"), path = require("path"), dir = process.argv[1];
  const t = { runs: 0, faults: 0, secrets: 0, leaks: 0, caught: 0 };
  for (const f of fs.readdirSync(dir)) { const s = JSON.parse(fs.readFileSync(path.join(dir, f))); for (const k in t) t[k] += s[k] || 0; }
  console.log(`suite summary: ${t.runs} action runs (cases), ${t.faults} faults injected, ${t.secrets} secrets planted, ${t.leaks} leaked (planted leaks caught by the check: ${t.caught})`);
  if (t.leaks) process.exitCode = 1;
' "$NEON_GITOPS_STATS_DIR" || status=1
exit $status
