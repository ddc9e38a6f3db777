#!/usr/bin/env bash
# The main job on a fresh machine: broker-lite (name server + broker) embedded in one
# process over a temporary directory, the SDK's producer sending and its push consumer
# reading the messages back. Needs nothing but Rust. Argument: message count (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet -p examples --example quickstart -- "${1:-10}"
