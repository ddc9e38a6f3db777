#!/usr/bin/env bash
# Runs the whole test suite: unit, property, golden-vector, and interop tests against the
# real Java RocketMQ (4.9.8 and the newest 5.x), which this script fetches from Maven
# Central into a cache outside the clone on first use, and the Go and Node.js clients
# (scripts/fetch-clients.sh, same cache).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-java.sh
bash scripts/fetch-clients.sh
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc
