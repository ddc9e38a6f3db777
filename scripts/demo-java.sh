#!/usr/bin/env bash
# The SDK against the real Java RocketMQ: fetch the real Java RocketMQ (cached after the first run), start it on
# loopback, and drive it with the Rust SDK's protocol and transport. Argument: 4.9.8 or 5.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-java.sh
cargo run --quiet -p interop --bin interop-demo -- "${1:-5}"
