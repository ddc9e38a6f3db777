#!/usr/bin/env bash
# Builds the non-Java RocketMQ clients the interop tests drive, into a cache OUTSIDE the
# repository (like scripts/fetch-java.sh does for Java):
#
#   ${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/clients/go/rmq-go-interop
#       interop/go built with the Apache RocketMQ Go client (rocketmq-client-go/v2, from
#       the Go module proxy, versions pinned by interop/go/go.sum)
#   ${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/clients/node/rmq-node-interop.js
#       interop/node with ali-ons installed next to it by `npm ci` (versions pinned by
#       interop/node/package-lock.json)
#
# Each build is skipped when its sources and this script are unchanged (a hash is kept
# beside the result). Go modules go to Go's own module cache, npm packages to npm's cache.
#
# Usage: scripts/fetch-clients.sh          build what is missing or stale
#        scripts/fetch-clients.sh --force  rebuild both
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/clients"
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "fetch-clients.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

die() { echo "fetch-clients.sh: ERROR: $*" >&2; exit 1; }
for tool in go node npm sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH (need Go >= 1.21, Node.js >= 16 with npm)"
done
mkdir -p "$CACHE"

# Hash of this script plus the given files, to tell whether a build is current.
sources_hash() { cat "$0" "$@" | sha256sum | cut -d' ' -f1; }

build_go() {
  local src="$ROOT/interop/go" dest="$CACHE/go"
  local hash; hash="$(sources_hash "$src/go.mod" "$src/go.sum" "$src"/*.go)"
  if [[ "$FORCE" == 0 && -x "$dest/rmq-go-interop" && "$(cat "$dest/.hash" 2>/dev/null)" == "$hash" ]]; then
    return 0
  fi
  echo "fetch-clients.sh: building interop/go (rocketmq-client-go v2)"
  mkdir -p "$dest"
  # -mod=readonly: go.mod/go.sum are the pinned truth; a missing sum fails instead of
  # silently changing them.
  (cd "$src" && GOFLAGS=-mod=readonly go build -trimpath -o "$dest/rmq-go-interop.tmp" .) \
    || die "go build of interop/go failed"
  mv "$dest/rmq-go-interop.tmp" "$dest/rmq-go-interop"
  echo "$hash" > "$dest/.hash"
}

build_node() {
  local src="$ROOT/interop/node" dest="$CACHE/node"
  local hash; hash="$(sources_hash "$src/package.json" "$src/package-lock.json" "$src/rmq-node-interop.js")"
  if [[ "$FORCE" == 0 && -d "$dest/node_modules/ali-ons" && "$(cat "$dest/.hash" 2>/dev/null)" == "$hash" ]]; then
    return 0
  fi
  echo "fetch-clients.sh: installing interop/node (ali-ons) with npm ci"
  local tmp="$dest.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  cp "$src/package.json" "$src/package-lock.json" "$src/rmq-node-interop.js" "$tmp/"
  (cd "$tmp" && npm ci --omit=dev --no-audit --no-fund --loglevel=error) \
    || die "npm ci for interop/node failed"
  echo "$hash" > "$tmp/.hash"
  rm -rf "$dest" && mv "$tmp" "$dest"
}

start=$(date +%s)
build_go
build_node
echo "fetch-clients.sh: ready in $CACHE ($(go version | cut -d' ' -f3), node $(node --version); $(( $(date +%s) - start )) s)"
