#!/usr/bin/env bash
# Lint throughput over the shared corpus: neon-gitops natively, through the
# shipped bundle (dist/index.js's `analyze`, wasm) under Node 24, and squawk's
# CLI on the same files, every rule on in all three; then one comparison table
# with each engine's MB/s and its ratio to squawk's (the goal: >= 2x).
# squawk is installed from PyPI (`squawk-cli`, pinned below) into .tools/ on the
# first run; SQUAWK=/path/to/squawk uses another one instead.
# Usage: bench/lint/run.sh [corpus] [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-../shared/corpus}"
n="${2:-5}"
if [ ! -d "$corpus" ]; then
  echo "skip: corpus $corpus not found"; exit 0
fi

SQUAWK_VERSION_PIN=2.70.0

cargo build -q --profile lintbench --example lint_bench
bench="${CARGO_TARGET_DIR:-target}/lintbench/examples/lint_bench"
out=$("$bench" "$corpus" "$n" --json --all-rules)
echo "$out" | grep -v '^{'
native=$(echo "$out" | grep '^{')
stmts=$(echo "$native" | sed -E 's/.*"statements":([0-9]+).*/\1/')

list=$(mktemp); trap 'rm -f "$list"' EXIT
"$bench" "$corpus" --list > "$list"
bytes=$(xargs -d '\n' cat < "$list" | wc -c)
files=$(wc -l < "$list")

# The shipped bundle under the project's Node (24), on exactly the same files.
node=node_modules/.bin/node
dist=
echo
if [ -x "$node" ] && [ -f dist/index.js ]; then
  out=$("$node" bench/lint/dist.js "$corpus" "$n" --json --list "$list" --config "$("$bench" --all-rules-config)")
  echo "$out" | grep -v '^{'
  dist=$(echo "$out" | grep '^{')
else
  echo "dist/index.js or $node missing (npm ci && npm run build): no dist figure"
fi

# squawk's CLI, pinned, in a venv of its own under .tools/ (gitignored).
squawk="${SQUAWK:-}"
if [ -z "$squawk" ]; then
  venv=.tools/squawk-$SQUAWK_VERSION_PIN
  if [ ! -x "$venv/bin/squawk" ]; then
    echo "installing squawk-cli==$SQUAWK_VERSION_PIN from PyPI into $venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q "squawk-cli==$SQUAWK_VERSION_PIN" \
      || { echo "could not install squawk-cli: no side-by-side figure"; rm -rf "$venv"; }
  fi
  [ -x "$venv/bin/squawk" ] && squawk=$venv/bin/squawk
fi

squawk_version=
squawk_secs=
echo
if [ -n "$squawk" ]; then
  squawk_version=$("$squawk" --version 2>/dev/null | head -1)
  # Every rule on: the opt-in ones too. Our list of squawk's ids (src/sql/squawk.rs)
  # minus the ones this squawk refuses (exit 2: unknown rule name).
  include=
  for id in $(sed -n '/^pub const SQUAWK_IDS/,/^\];/p' src/sql/squawk.rs | grep -o '"[a-z-]*"' | tr -d '"'); do
    if "$squawk" --include="$id" /dev/null >/dev/null 2>&1 || [ $? -ne 2 ]; then include="$include${include:+,}$id"; fi
  done
  echo "$squawk_version: same $files files, $n passes, every rule on"
  start=$(date +%s.%N)
  for _ in $(seq "$n"); do
    # squawk exits non-zero when it finds violations; only time it.
    xargs -d '\n' "$squawk" --include="$include" < "$list" > /dev/null 2>&1 || true
  done
  end=$(date +%s.%N)
  squawk_secs=$(awk -v s="$start" -v e="$end" -v n="$n" 'BEGIN { printf "%.6f", (e - s) / n }')
  # statements/s uses neon-gitops' statement count for the same files.
  awk -v b="$bytes" -v t="$squawk_secs" -v st="$stmts" 'BEGIN {
    printf "squawk: %.1f ms/pass: %.1f MB/s, %.0f statements/s\n", t * 1000, b / 1e6 / t, st / t }'
else
  echo "no squawk (python3 -m venv + pip failed): no side-by-side figure"
fi

# Side by side: same files, same bytes; statements/s counts neon-gitops' statements for every row.
echo
NATIVE="$native" DIST="$dist" SQUAWK_SECS="$squawk_secs" SQUAWK_VERSION="$squawk_version" BYTES="$bytes" FILES="$files" N="$n" \
  "$([ -x "$node" ] && echo "$node" || echo node)" -e '
  const e = process.env;
  const native = JSON.parse(e.NATIVE);
  const rows = [["neon-gitops native (Rust, lintbench profile)", native.seconds_per_pass]];
  if (e.DIST) { const d = JSON.parse(e.DIST); rows.push([`neon-gitops dist/index.js (wasm, Node ${d.node})`, d.seconds_per_pass]); }
  if (e.SQUAWK_SECS) rows.push([`${e.SQUAWK_VERSION} (CLI, all files per run)`, Number(e.SQUAWK_SECS)]);
  const squawk = e.SQUAWK_SECS ? Number(e.SQUAWK_SECS) : null;
  const head = ["engine (every rule on)", "ms/pass", "MB/s", "statements/s", "MB/s vs squawk"];
  const body = rows.map(([name, s]) => [name, (s * 1e3).toFixed(1), (Number(e.BYTES) / 1e6 / s).toFixed(1),
    Math.round(native.statements / s).toString(), squawk ? (squawk / s).toFixed(2) + "x" : "-"]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  console.log(`${e.FILES} files, ${(Number(e.BYTES) / 1e6).toFixed(2)} MB, ${native.statements} statements, mean of ${e.N} passes`);
  console.log(line(head));
  console.log(w.map((x) => "-".repeat(x)).join("  "));
  body.forEach((r) => console.log(line(r)));
'
