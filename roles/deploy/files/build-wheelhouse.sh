#!/usr/bin/env bash
# Build a wheelhouse for Debian bookworm's python3.11 (x86_64/aarch64, glibc 2.36) from a
# requirements file, on the host: pip inside a container cannot reach the index, so the
# images install with `pip install --no-index --find-links <wheelhouse>`.
#
#   scripts/build-wheelhouse.sh REQUIREMENTS OUTDIR   (a link to roles/deploy/files/build-wheelhouse.sh,
#                                                 which the deploy role runs on the host)
#
# Skipped when OUTDIR/.wheelhouse-stamp holds the hash of the requirements file (and of
# the target) it was built for. FP_WHEELHOUSE_PYTHON picks the host interpreter
# (default python3). With a host Python 3.11 on Linux/glibc, `pip wheel` is used, which
# also turns sdists into wheels; with any other host Python, binary wheels for cp311
# manylinux are downloaded instead (sdist-only requirements then fail, clearly).
set -euo pipefail

log() { printf 'build-wheelhouse: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$#" -eq 2 ] || { echo "usage: $0 REQUIREMENTS OUTDIR" >&2; exit 2; }
requirements=$1
outdir=$2
[ -f "$requirements" ] || die "requirements file not found: $requirements"

python=${FP_WHEELHOUSE_PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 || die "no $python on this host"
arch=$(uname -m)
target="cp311-manylinux_2_36_$arch"
stamp_file="$outdir/.wheelhouse-stamp"
stamp="$(sha256sum "$requirements" | cut -d' ' -f1) $target"

if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && compgen -G "$outdir/*.whl" >/dev/null; then
  log "$outdir is up to date for $requirements ($(find "$outdir" -name '*.whl' | wc -l) wheels)"
  exit 0
fi

host_tag=$("$python" -c 'import sys, platform; print(f"{sys.implementation.name}{sys.version_info[0]}{sys.version_info[1]}-{platform.libc_ver()[0]}")')
mkdir -p "$(dirname "$outdir")"
work=$(mktemp -d "${outdir%/}.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Previously built wheels are offered first so a small change rebuilds little.
reuse=()
if [ -d "$outdir" ]; then reuse=(--find-links "$outdir"); fi

started=$(date +%s)
if [ "$host_tag" = "cpython311-glibc" ]; then
  log "building wheels for $requirements with $("$python" --version) (pip wheel)"
  "$python" -m pip wheel --quiet --prefer-binary "${reuse[@]}" --wheel-dir "$work" -r "$requirements"
  # Prove the wheelhouse is complete the way the image will use it: offline.
  "$python" -m pip install --quiet --dry-run --ignore-installed --no-index --find-links "$work" -r "$requirements" \
    || die "the wheelhouse in $work cannot satisfy $requirements offline"
else
  log "host Python is not CPython 3.11 on glibc ($host_tag): downloading binary wheels for $target"
  "$python" -m pip download --quiet "${reuse[@]}" --dest "$work" --only-binary=:all: \
    --implementation cp --python-version 3.11 --abi cp311 --abi abi3 --abi none \
    --platform "manylinux_2_36_$arch" --platform "manylinux_2_34_$arch" --platform "manylinux_2_28_$arch" \
    --platform "manylinux_2_17_$arch" --platform "manylinux2014_$arch" \
    -r "$requirements"
fi

echo "$stamp" >"$work/.wheelhouse-stamp"
rm -rf "$outdir"
mv "$work" "$outdir"
trap - EXIT
log "$outdir: $(find "$outdir" -name '*.whl' | wc -l) wheels, $(du -sh "$outdir" | cut -f1), $(($(date +%s) - started))s"
