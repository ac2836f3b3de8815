# shellcheck shell=bash
# Sourced by every script that needs Docker: `. scripts/lib/docker-env.sh`.
#
# Keeps the caller's engine when it answers; otherwise points DOCKER_HOST/DOCKER_CONFIG
# at the private engine of scripts/local-engine.sh when its socket exists. Also makes
# the private compose v2 plugin available when the caller's docker has none.
# Defines fp_require_docker, which fails with a clear message when no engine answers.

_fp_engine_dir="${FP_STATE_DIR:-/var/tmp/footballpred}/engine"
FP_PRIVATE_DOCKER_HOST="unix://$_fp_engine_dir/docker.sock"
FP_PRIVATE_DOCKER_CONFIG="$_fp_engine_dir/docker-config"

_fp_engine_answers() {
  timeout 15 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

if [ -S "$_fp_engine_dir/docker.sock" ] && { [ "${DOCKER_HOST:-}" = "$FP_PRIVATE_DOCKER_HOST" ] || ! _fp_engine_answers; }; then
  export DOCKER_HOST="$FP_PRIVATE_DOCKER_HOST"
  export DOCKER_CONFIG="$FP_PRIVATE_DOCKER_CONFIG"
elif [ -x "$FP_PRIVATE_DOCKER_CONFIG/cli-plugins/docker-compose" ] && ! docker compose version >/dev/null 2>&1; then
  export DOCKER_CONFIG="$FP_PRIVATE_DOCKER_CONFIG"
fi
unset _fp_engine_dir

# Fail (return 1) with a hint when neither the caller's nor the private engine answers,
# or when docker has no compose v2 plugin.
fp_require_docker() {
  if ! _fp_engine_answers; then
    echo "no Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-default}); start one with: scripts/local-engine.sh up" >&2
    return 1
  fi
  if ! docker compose version >/dev/null 2>&1; then
    echo "docker has no compose v2 plugin; run: scripts/local-engine.sh up" >&2
    return 1
  fi
}
