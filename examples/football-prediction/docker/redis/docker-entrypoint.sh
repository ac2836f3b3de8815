#!/bin/sh
# `docker run image --port 6380` means `redis-server --port 6380`, as in the official image.
set -eu
case "${1:-}" in
  -* | *.conf) set -- redis-server "$@" ;;
esac
exec "$@"
