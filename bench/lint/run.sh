#!/usr/bin/env bash
# Lint throughput over the shared corpus: neon-gitops natively, and squawk on
# the same files when it is installed. Usage: bench/lint/run.sh [corpus] [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-../shared/corpus}"
n="${2:-5}"
if [ ! -d "$corpus" ]; then
  echo "skip: corpus $corpus not found"; exit 0
fi

cargo build -q --profile lintbench --example lint_bench
bench=target/lintbench/examples/lint_bench
out=$("$bench" "$corpus" "$n" --json)
echo "$out" | grep -v '^{'
stmts=$(echo "$out" | grep '^{' | sed -E 's/.*"statements":([0-9]+).*/\1/')

if command -v squawk >/dev/null 2>&1; then
  list=$(mktemp); trap 'rm -f "$list"' EXIT
  "$bench" "$corpus" --list > "$list"
  bytes=$(xargs -d '\n' cat < "$list" | wc -c)
  files=$(wc -l < "$list")
  echo
  echo "squawk $(squawk --version 2>/dev/null | head -1): same $files files, $n passes"
  start=$(date +%s.%N)
  for _ in $(seq "$n"); do
    # squawk exits non-zero when it finds violations; only time it.
    xargs -d '\n' squawk < "$list" > /dev/null 2>&1 || true
  done
  end=$(date +%s.%N)
  # statements/s uses neon-gitops' statement count for the same files.
  awk -v b="$bytes" -v s="$start" -v e="$end" -v n="$n" -v st="$stmts" 'BEGIN {
    t = (e - s) / n; printf "squawk: %.1f ms/pass: %.1f MB/s, %.0f statements/s\n", t * 1000, b / 1e6 / t, st / t }'
else
  echo
  echo "squawk not installed (cargo install squawk): no side-by-side figure"
fi
