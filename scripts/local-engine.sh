#!/usr/bin/env bash
# Make sure a Docker engine with the compose v2 plugin and a debian:bookworm-slim base
# image is available for the local rehearsal stack.
#
#   scripts/local-engine.sh up       reuse an engine that already answers, or start a
#                                    private dockerd; prints the `export ...` line to eval
#   scripts/local-engine.sh down     stop the private dockerd (only the one this script
#                                    started, by the PID in its pidfile)
#   scripts/local-engine.sh status   say which engine answers; exit 0 when one does
#
# State lives in ${FP_STATE_DIR:-/var/tmp/footballpred}: engine/ (data-root, exec-root,
# docker.sock, dockerd.pid, dockerd.log, docker-config/) and cache/ (compose/buildx
# .debs and the offline base image tarball), so a second `up` downloads nothing.
set -euo pipefail

readonly STATE_DIR="${FP_STATE_DIR:-/var/tmp/footballpred}"
readonly ENGINE_DIR="$STATE_DIR/engine"
readonly CACHE_DIR="$STATE_DIR/cache"
readonly SOCKET="$ENGINE_DIR/docker.sock"
readonly PIDFILE="$ENGINE_DIR/dockerd.pid"
readonly LOGFILE="$ENGINE_DIR/dockerd.log"
readonly PRIVATE_HOST="unix://$SOCKET"
readonly PRIVATE_CONFIG="$ENGINE_DIR/docker-config"
readonly BASE_IMAGE="debian:bookworm-slim"
readonly BASE_TARBALL="$CACHE_DIR/debian-bookworm-slim.tar"
readonly START_TIMEOUT_S="${FP_ENGINE_START_TIMEOUT:-90}"
readonly STOP_TIMEOUT_S="${FP_ENGINE_STOP_TIMEOUT:-90}"
# Debian trixie carries compose v2 and buildx as plain .debs; bookworm only has compose v1.
readonly PLUGIN_PACKAGES=(docker-compose/trixie docker-buildx/trixie)

export DEBIAN_FRONTEND=noninteractive

log() { printf 'local-engine: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  echo "usage: $0 up|down|status" >&2
  exit 2
}

# True when the engine named by the current environment answers (server side too).
engine_answers() {
  timeout 15 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

private_engine_answers() {
  DOCKER_HOST="$PRIVATE_HOST" DOCKER_CONFIG="$PRIVATE_CONFIG" engine_answers
}

# The PID from our pidfile, printed only when that process is alive and is a dockerd
# using our data-root: a stale or recycled PID is never signalled.
private_dockerd_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid=$(tr -dc '0-9' <"$PIDFILE")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--data-root $ENGINE_DIR/data " || return 1
  echo "$pid"
}

# The Debian mirror apt is configured with (deb822 or one-line format), security excluded.
apt_mirror() {
  {
    grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' || true
    grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/\[[^]]*\] //' | awk '{print $2}' || true
  } | grep -E '/debian/?$' | head -n 1 || true
}

apt_security_mirror() {
  {
    grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' || true
    grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/\[[^]]*\] //' | awk '{print $2}' || true
  } | grep -E '/debian-security/?$' | head -n 1 || true
}

apt_install() {
  [ "$(id -u)" -eq 0 ] || die "need root to install $* (apt-get); install it or run as root"
  log "installing $* with apt-get"
  if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

ensure_host_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
}

# Fetch docker-compose/docker-buildx .debs from trixie with a private apt state (the
# host's apt lists and status stay untouched) and keep the extracted plugin binaries.
fetch_cli_plugins() {
  local plugin_cache="$CACHE_DIR/cli-plugins"
  if [ -x "$plugin_cache/docker-compose" ] && [ -x "$plugin_cache/docker-buildx" ]; then
    return 0
  fi
  local mirror
  mirror=$(apt_mirror)
  [ -n "$mirror" ] || die "cannot find the Debian mirror in the apt configuration"
  local apt_dir="$CACHE_DIR/apt-trixie" deb_dir="$CACHE_DIR/debs"
  mkdir -p "$apt_dir/lists/partial" "$deb_dir" "$plugin_cache"
  if ! compgen -G "$deb_dir/docker-compose_*.deb" >/dev/null || ! compgen -G "$deb_dir/docker-buildx_*.deb" >/dev/null; then
    log "downloading the compose v2 and buildx plugins (Debian trixie packages)"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$apt_dir/sources.list"
    local apt_opts=(
      -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
      -o Acquire::Languages=none -o APT::Sandbox::User=root
    )
    apt-get "${apt_opts[@]}" update -qq
    (cd "$deb_dir" && apt-get "${apt_opts[@]}" download -qq "${PLUGIN_PACKAGES[@]}")
    rm -rf "$apt_dir"
  fi
  local extract_dir
  extract_dir=$(mktemp -d "$CACHE_DIR/extract.XXXXXX")
  local deb
  for deb in "$deb_dir"/docker-compose_*.deb "$deb_dir"/docker-buildx_*.deb; do
    dpkg-deb -x "$deb" "$extract_dir"
  done
  install -m 0755 "$extract_dir"/usr/libexec/docker/cli-plugins/docker-compose "$plugin_cache/"
  install -m 0755 "$extract_dir"/usr/libexec/docker/cli-plugins/docker-buildx "$plugin_cache/"
  rm -rf "$extract_dir"
}

install_cli_plugins() {
  fetch_cli_plugins
  mkdir -p "$PRIVATE_CONFIG/cli-plugins"
  local plugin
  for plugin in docker-compose docker-buildx; do
    if ! cmp -s "$CACHE_DIR/cli-plugins/$plugin" "$PRIVATE_CONFIG/cli-plugins/$plugin"; then
      install -m 0755 "$CACHE_DIR/cli-plugins/$plugin" "$PRIVATE_CONFIG/cli-plugins/$plugin"
    fi
  done
}

# dockerd leaves its netns bind mount (and, when killed, overlay mounts) behind; unmount
# whatever is still mounted below the engine dir, deepest first.
unmount_leftovers() {
  local mountpoint
  awk -v prefix="$ENGINE_DIR/" 'index($5, prefix) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r mountpoint; do
    umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint" 2>/dev/null || log "WARNING: could not unmount $mountpoint"
  done
}

start_private_dockerd() {
  [ "$(id -u)" -eq 0 ] || die "a private dockerd needs root"
  mkdir -p "$ENGINE_DIR/data" "$ENGINE_DIR/exec"
  # Our own (empty) daemon.json, so a host /etc/docker/daemon.json cannot change the engine.
  [ -f "$ENGINE_DIR/daemon.json" ] || echo '{}' >"$ENGINE_DIR/daemon.json"
  rm -f "$PIDFILE"
  unmount_leftovers
  log "starting a private dockerd (state in $ENGINE_DIR, log $LOGFILE)"
  setsid dockerd \
    --config-file "$ENGINE_DIR/daemon.json" \
    --data-root "$ENGINE_DIR/data" \
    --exec-root "$ENGINE_DIR/exec" \
    --pidfile "$PIDFILE" \
    --host "$PRIVATE_HOST" \
    --storage-driver overlay2 \
    --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
    </dev/null >>"$LOGFILE" 2>&1 &
  wait_for_private_engine $!
}

# Wait until the private engine answers, while the given dockerd process lives.
wait_for_private_engine() {
  local pid=$1 waited=0
  until private_engine_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$LOGFILE" >&2 || true
      die "dockerd exited during start-up (see $LOGFILE)"
    fi
    if [ "$waited" -ge "$START_TIMEOUT_S" ]; then
      tail -n 20 "$LOGFILE" >&2 || true
      die "dockerd (pid $pid) did not answer within ${START_TIMEOUT_S}s (see $LOGFILE; stop it with: $0 down)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "private dockerd answers (pid $pid, waited ${waited}s)"
}

# debian:bookworm-slim without a registry: debootstrap a minbase rootfs from the mirror
# apt uses, trim it like the official slim image, and `docker import` it. The tarball is
# cached so a wiped data-root re-imports in seconds.
ensure_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  if timeout 60 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
    log "pulled $BASE_IMAGE"
    return 0
  fi
  if [ ! -s "$BASE_TARBALL" ]; then
    build_base_tarball
  fi
  log "importing $BASE_IMAGE from $BASE_TARBALL"
  docker import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$BASE_TARBALL" "$BASE_IMAGE" >/dev/null
}

build_base_tarball() {
  [ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
  local mirror security rootfs
  mirror=$(apt_mirror)
  security=$(apt_security_mirror)
  [ -n "$mirror" ] || die "cannot find the Debian mirror in the apt configuration"
  mkdir -p "$CACHE_DIR"
  rootfs=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  log "$BASE_IMAGE cannot be pulled: building it with debootstrap --variant=minbase (takes a few minutes)"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1; then
    tail -n 20 "$CACHE_DIR/debootstrap.log" >&2 || true
    rm -rf "$rootfs"
    die "debootstrap failed (see $CACHE_DIR/debootstrap.log)"
  fi
  {
    echo "deb $mirror bookworm main"
    echo "deb $mirror bookworm-updates main"
    if [ -n "$security" ]; then echo "deb $security bookworm-security main"; fi
  } >"$rootfs/etc/apt/sources.list"
  # Same trimming rules as the official slim image: no docs, man pages or locales.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  find "$rootfs/usr/share/doc" -mindepth 2 -not -name copyright -not -type d -delete 2>/dev/null || true
  rm -rf "$rootfs"/usr/share/{man,info,groff,lintian,linda}/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  tar --numeric-owner -C "$rootfs" -cf "$BASE_TARBALL.tmp" .
  mv "$BASE_TARBALL.tmp" "$BASE_TARBALL"
  rm -rf "$rootfs"
}

# The DOCKER_HOST the current environment talks to (docker context included).
current_docker_host() {
  if [ -n "${DOCKER_HOST:-}" ]; then
    echo "$DOCKER_HOST"
  else
    docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || echo "unix:///var/run/docker.sock"
  fi
}

cmd_up() {
  mkdir -p "$ENGINE_DIR" "$CACHE_DIR"
  if [ "${DOCKER_HOST:-}" != "$PRIVATE_HOST" ] && engine_answers; then
    local host config
    host=$(current_docker_host)
    config="${DOCKER_CONFIG:-$HOME/.docker}"
    log "a Docker engine already answers at $host: using it, starting nothing"
    if ! docker compose version >/dev/null 2>&1; then
      log "that docker client has no compose v2 plugin: using the one in $PRIVATE_CONFIG"
      install_cli_plugins
      config="$PRIVATE_CONFIG"
    fi
    DOCKER_HOST="$host" DOCKER_CONFIG="$config" ensure_base_image
    echo "export DOCKER_HOST=$host DOCKER_CONFIG=$config"
    return 0
  fi

  ensure_host_packages
  install_cli_plugins
  export DOCKER_HOST="$PRIVATE_HOST" DOCKER_CONFIG="$PRIVATE_CONFIG"
  local pid
  if private_engine_answers; then
    log "private dockerd already answers (pid $(private_dockerd_pid || echo '?'))"
  elif pid=$(private_dockerd_pid); then
    log "private dockerd (pid $pid) runs but does not answer yet: waiting"
    wait_for_private_engine "$pid"
  else
    start_private_dockerd
  fi
  ensure_base_image
  log "ready: $(docker version --format 'engine {{.Server.Version}}'), $(docker compose version --short | sed 's/^/compose /')"
  echo "export DOCKER_HOST=$DOCKER_HOST DOCKER_CONFIG=$DOCKER_CONFIG"
}

cmd_down() {
  local pid
  if pid=$(private_dockerd_pid); then
    log "stopping private dockerd (pid $pid); running containers are stopped with it"
    kill -TERM "$pid"
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$waited" -ge "$STOP_TIMEOUT_S" ]; then
        log "WARNING: dockerd (pid $pid) still runs after ${STOP_TIMEOUT_S}s: sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
        break
      fi
      sleep 1
      waited=$((waited + 1))
    done
    log "private dockerd stopped (${waited}s)"
  else
    log "no private dockerd of ours is running (pidfile $PIDFILE)"
  fi
  rm -f "$PIDFILE"
  unmount_leftovers
}

cmd_status() {
  local rc=1 pid
  if [ "${DOCKER_HOST:-}" != "$PRIVATE_HOST" ] && engine_answers; then
    echo "user engine: answers at $(current_docker_host) (server $(docker version --format '{{.Server.Version}}'))"
    rc=0
  else
    echo "user engine: does not answer"
  fi
  if pid=$(private_dockerd_pid); then
    if private_engine_answers; then
      echo "private engine: running, pid $pid, answers at $PRIVATE_HOST"
      echo "export DOCKER_HOST=$PRIVATE_HOST DOCKER_CONFIG=$PRIVATE_CONFIG"
      rc=0
    else
      echo "private engine: pid $pid runs but does not answer at $PRIVATE_HOST"
    fi
  else
    echo "private engine: not running"
  fi
  if [ -x "$PRIVATE_CONFIG/cli-plugins/docker-compose" ]; then
    echo "compose plugin: $("$PRIVATE_CONFIG/cli-plugins/docker-compose" version --short 2>/dev/null || echo '?') in $PRIVATE_CONFIG/cli-plugins"
  fi
  return "$rc"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) usage ;;
esac
