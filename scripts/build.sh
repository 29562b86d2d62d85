#!/usr/bin/env bash
# Build dist/ from source: Rust core → wasm → JS glue → one bundled CommonJS file per step.
# Deterministic: CI rebuilds from a clean clone and fails if dist/ differs from the commit.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the `wasm-bindgen = "=…"` pin in Cargo.toml

if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | cut -d' ' -f2)" != "$WASM_BINDGEN_VERSION" ]; then
  echo "wasm-bindgen-cli $WASM_BINDGEN_VERSION is required: run scripts/setup.sh" >&2
  exit 1
fi

# Absolute paths of this checkout and of the cargo registry end up in panic locations;
# remap them so the wasm is byte-identical wherever it is built.
export RUSTFLAGS="--remap-path-prefix=$PWD=/neon-gitops --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
cargo build --release --locked --target wasm32-unknown-unknown
rm -rf build/wasm
# The name section (function names for stack traces, ~0.7 MB) stays out of dist/: the
# runner downloads dist/ on every job. build/wasm-symbols/ keeps a copy with names, to
# read a panic's function indices against (`wasm-tools print` or `wasm-objdump -x`).
wasm-bindgen --target nodejs --out-dir build/wasm-symbols target/wasm32-unknown-unknown/release/neon_gitops.wasm
wasm-bindgen --target nodejs --remove-name-section --remove-producers-section --out-dir build/wasm target/wasm32-unknown-unknown/release/neon_gitops.wasm

rm -rf dist && mkdir -p dist
node scripts/bundle.js
cp js/post.js dist/post.js
echo "dist/ built: $(du -b build/wasm/neon_gitops_bg.wasm | cut -f1) bytes of wasm ($(du -b dist/neon_gitops_bg.wasm.br | cut -f1) brotli-compressed), $(du -b dist/index.js | cut -f1) bytes of JS"
