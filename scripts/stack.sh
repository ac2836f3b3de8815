#!/usr/bin/env bash
# Bring the local staging stack up or down, for tests and by hand. (The rehearsal's own
# deploy is done by the Ansible roles; this is the quick way to have the infra running.)
#
#   scripts/stack.sh up [--with-app] [SERVICE...]   default: db redis kafka mlflow prometheus;
#                                                   --with-app also migrates (and seeds),
#                                                   trains/registers the model (idempotent)
#                                                   and starts app. Starts the engine
#                                                   (scripts/local-engine.sh) when none
#                                                   answers and builds the images it lacks.
#   scripts/stack.sh down [--volumes]               remove the containers (and the volumes)
#   scripts/stack.sh ps                             docker compose ps
#   scripts/stack.sh compose ARGS...                any docker compose command on the stack
#
# Uses examples/football-prediction/.env.staging, created from .env.staging.example
# (local-only passwords) when missing. For an isolated second stack (other ports, own
# volumes): FP_STACK_PROJECT=NAME FP_STACK_ENV_FILE=/path/to/env scripts/stack.sh ...
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly PROJECT_DIR="$REPO_ROOT/examples/football-prediction"
readonly PROJECT_NAME="${FP_STACK_PROJECT:-football-prediction-staging}"
readonly ENV_FILE="${FP_STACK_ENV_FILE:-$PROJECT_DIR/.env.staging}"
readonly INFRA_SERVICES=(db redis kafka mlflow prometheus)
readonly WAIT_TIMEOUT_S="${FP_STACK_WAIT_TIMEOUT:-300}"

# shellcheck source-path=SCRIPTDIR source=lib/docker-env.sh disable=SC1091
. "$REPO_ROOT/scripts/lib/docker-env.sh"

log() { printf 'stack: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

compose() {
  docker compose -p "$PROJECT_NAME" --project-directory "$PROJECT_DIR" \
    -f "$PROJECT_DIR/docker-compose.yml" -f "$PROJECT_DIR/docker-compose.staging.yml" \
    --env-file "$ENV_FILE" "$@"
}

ensure_env_file() {
  if [ ! -f "$ENV_FILE" ]; then
    [ "$ENV_FILE" = "$PROJECT_DIR/.env.staging" ] || die "env file not found: $ENV_FILE"
    install -m 0600 "$PROJECT_DIR/.env.staging.example" "$PROJECT_DIR/.env.staging"
    log "created ${PROJECT_DIR#"$REPO_ROOT"/}/.env.staging from the example (local-only passwords)"
  fi
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# A compose variable as compose resolves it: the caller's environment, else the env file.
setting() {
  local key=$1 default=$2 value
  value=${!key:-}
  if [ -z "$value" ]; then value=$(sed -n "s/^$key=//p" "$ENV_FILE" | tail -n 1); fi
  echo "${value:-$default}"
}

# Build what `up` needs and the engine lacks: the infra images, and the app image the
# compose file names (APP_IMAGE:APP_TAG, default football-prediction:staging-latest).
ensure_images() {
  local with_app=$1 image missing=()
  for image in "$(setting POSTGRES_IMAGE footballpred/postgres:15)" "$(setting REDIS_IMAGE footballpred/redis:7)" \
    "$(setting KAFKA_IMAGE footballpred/kafka:tansu)" "$(setting MLFLOW_IMAGE footballpred/mlflow:local)" \
    "$(setting PROMETHEUS_IMAGE footballpred/prometheus:local)"; do
    image_exists "$image" || missing+=("$image")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "building the missing infra images: ${missing[*]}"
    "$REPO_ROOT/scripts/build-images.sh" --infra-only
  fi
  local app_repo app_tag
  app_repo=$(setting APP_IMAGE football-prediction)
  app_tag=$(setting APP_TAG staging-latest)
  if [ "$with_app" = true ] && ! image_exists "$app_repo:$app_tag"; then
    [ "$app_tag" = staging-latest ] \
      || die "the app image $app_repo:$app_tag does not exist (APP_TAG names a release that was never built)"
    log "building the missing app image $app_repo:$app_tag"
    APP_IMAGE=$app_repo "$REPO_ROOT/scripts/build-images.sh" --app-only >/dev/null
  fi
}

cmd_up() {
  local with_app=false services=()
  for arg in "$@"; do
    case "$arg" in
      --with-app) with_app=true ;;
      -*) die "unknown option for up: $arg" ;;
      *) services+=("$arg") ;;
    esac
  done
  if [ "${#services[@]}" -eq 0 ]; then services=("${INFRA_SERVICES[@]}"); fi

  local started
  started=$(date +%s)
  ensure_images "$with_app"
  log "starting ${services[*]} (waiting up to ${WAIT_TIMEOUT_S}s for healthy)"
  compose up -d --wait --wait-timeout "$WAIT_TIMEOUT_S" "${services[@]}" || {
    compose ps -a >&2 || true
    die "services did not become healthy; see: scripts/stack.sh compose logs SERVICE"
  }
  if [ "$with_app" = true ]; then
    log "running migrations (football-migrate) with the app image"
    compose run --rm --no-deps app football-migrate
    log "training and registering the model (football-train; skipped by it when up to date)"
    compose run --rm --no-deps app football-train >/dev/null
    compose up -d --wait --wait-timeout "$WAIT_TIMEOUT_S" app || {
      compose ps -a >&2 || true
      die "app did not become healthy; see: scripts/stack.sh compose logs app"
    }
  fi
  log "healthy after $(($(date +%s) - started))s"
  compose ps
}

cmd_down() {
  local down_args=(--timeout 30 --remove-orphans)
  for arg in "$@"; do
    case "$arg" in
      --volumes | -v) down_args+=(--volumes) ;;
      *) die "unknown option for down: $arg" ;;
    esac
  done
  compose down "${down_args[@]}"
}

[ "$#" -ge 1 ] || usage
action=$1
shift
if [ "$action" = up ] && ! fp_require_docker 2>/dev/null; then
  log "no Docker engine answers: starting one (scripts/local-engine.sh up)"
  eval "$("$REPO_ROOT/scripts/local-engine.sh" up)"
fi
fp_require_docker || exit 1
ensure_env_file
case "$action" in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  ps) compose ps "$@" ;;
  compose) compose "$@" ;;
  *) usage ;;
esac
