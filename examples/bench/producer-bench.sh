#!/usr/bin/env bash
# Producer benchmark, side by side against one Java broker (name server + broker from the
# cache of scripts/fetch-java.sh, started with scripts/java-cluster.sh on free ports):
# 16 senders, 128-byte messages, an 8-queue topic, sync sends, ROCKETMQ binary headers.
# One client at a time, each for DURATION s after WARMUP s:
#
#   java-tool   org.apache.rocketmq.example.benchmark.Producer -w 16 -s 128 (the official
#               tool: TPS and average RT from its 10-s lines, CPU from /proc/<pid>/stat)
#   java-sync   examples/bench/JavaSyncProducerBench.java: the same loop with one
#               DefaultMQProducer, recording every latency (p50/p99) and its CPU time
#   perf-tool   perf-tool producer (release build): the SDK Producer, same loop, senders
#               as tasks on perf-tool's multi-thread runtime (scripts/perf-compare.sh runs
#               the Java tool and perf-tool in alternating rounds on both brokers)
#
# Usage: examples/bench/producer-bench.sh [--version 4.9.8|5] [--duration S] [--warmup S]
# Needs: java (17), python3, cargo. Prints one line per client and a markdown table.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java"
VERSION=5
DURATION=30
WARMUP=10
SENDERS=16
SIZE=128
TOPIC=BenchTopic8
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) VERSION="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "producer-bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
log() { echo "producer-bench.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in java javac python3 cargo getconf; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
case "$VERSION" in
  4*) LABEL=4.9.8 ;;
  5*) LABEL="$(grep '^5\.' "$CACHE/versions.txt" | head -1)" ;;
esac
[[ -f "$CACHE/$LABEL/lib/.complete" ]] || die "Java $LABEL not cached: run scripts/fetch-java.sh"
CP="$CACHE/$LABEL/lib/*"
CLK_TCK="$(getconf CLK_TCK)"
OPENS=(--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED)

WORK="$(mktemp -d /tmp/producer-bench.XXXXXX)"
export JAVA_CLUSTER_DIR="$WORK/cluster"
read -r NAMESRV_PORT BROKER_PORT < <(python3 - <<'EOF'
import socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
import random
ns = next(p for p in random.sample(range(20000, 30000), 500) if free(p))
br = next(p for p in random.sample(range(30000, 40000), 500) if all(free(q) for q in (p - 2, p, p + 1)))
print(ns, br)
EOF
)
export NAMESRV_PORT BROKER_PORT
NS="127.0.0.1:$NAMESRV_PORT"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  "$ROOT/scripts/java-cluster.sh" stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log "building perf-tool (release)"
(cd "$ROOT" && cargo build --release -q -p perf-tool --bin perf-tool) || die "build failed"
log "compiling JavaSyncProducerBench"
mkdir -p "$WORK/classes"
javac -nowarn -cp "$CP" -d "$WORK/classes" "$ROOT/examples/bench/JavaSyncProducerBench.java"

log "starting Java RocketMQ $LABEL (namesrv $NS, broker port $BROKER_PORT)"
"$ROOT/scripts/java-cluster.sh" start "$VERSION" >&2
"$ROOT/scripts/java-cluster.sh" admin updateTopic -b "127.0.0.1:$BROKER_PORT" -t "$TOPIC" -r 8 -w 8 >/dev/null
for _ in $(seq 1 60); do
  "$ROOT/scripts/java-cluster.sh" admin topicRoute -t "$TOPIC" 2>/dev/null | grep -q brokerName && break
  sleep 1
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# 1. The official Java benchmark tool.
log "java-tool: $WARMUP s warm-up + $DURATION s"
java "${OPENS[@]}" -Xms1g -Xmx1g -Duser.home="$WORK" -cp "$CP" \
  org.apache.rocketmq.example.benchmark.Producer -n "$NS" -t "$TOPIC" -w "$SENDERS" -s "$SIZE" \
  > "$WORK/java-tool.out" 2>&1 < /dev/null &
TOOL=$!
PIDS+=("$TOOL")
sleep "$WARMUP"
C0="$(cpu_ticks "$TOOL")"; L0="$(wc -l < "$WORK/java-tool.out")"
sleep "$DURATION"
C1="$(cpu_ticks "$TOOL")"
kill -9 "$TOOL" 2>/dev/null || true
wait "$TOOL" 2>/dev/null || true
TOOL_LINE="$(tail -n +"$((L0 + 1))" "$WORK/java-tool.out" | python3 -c '
import re, sys
tps, rt = [], []
for line in sys.stdin:
    m = re.search(r"Send TPS: (\d+).*Average RT\(ms\):\s*([\d.]+)", line)
    if m:
        tps.append(int(m.group(1))); rt.append(float(m.group(2)))
cpu = (int(sys.argv[1]) - int(sys.argv[2])) / int(sys.argv[3])
dur = float(sys.argv[4])
t = sum(tps) / len(tps) if tps else 0
msgs = t * dur
print("java-tool senders=%s size=%s headers=ROCKETMQ reports=%d tps=%.0f avg_ms=%.3f cpu_s=%.2f cpu_us_per_msg=%.2f"
      % (sys.argv[5], sys.argv[6], len(tps), t, sum(rt) / len(rt) if rt else 0, cpu, cpu * 1e6 / msgs if msgs else 0))
' "$C1" "$C0" "$CLK_TCK" "$DURATION" "$SENDERS" "$SIZE")"
echo "$TOOL_LINE"

# 2. The same loop in Java with per-send latencies.
log "java-sync: $WARMUP s warm-up + $DURATION s"
JAVA_LINE="$(java "${OPENS[@]}" -Xms1g -Xmx1g -Duser.home="$WORK" -cp "$WORK/classes:$CP" \
  JavaSyncProducerBench "$NS" "$TOPIC" "$SENDERS" "$SIZE" "$DURATION" "$WARMUP" 2>/dev/null | grep '^java ')"
echo "$JAVA_LINE"

# 3. The SDK, through perf-tool.
log "perf-tool: $WARMUP s warm-up + $DURATION s"
"$ROOT/target/release/perf-tool" producer -n "$NS" -t "$TOPIC" -w "$SENDERS" -s "$SIZE" \
  --warmup "$WARMUP" --duration "$DURATION" --json "$WORK/perf-tool.json" > "$WORK/perf-tool.out" 2>&1 \
  || { tail -20 "$WORK/perf-tool.out" >&2; die "perf-tool failed"; }
RUST_LINE="$(python3 - "$WORK/perf-tool.json" "$SENDERS" "$SIZE" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["latency_ms"]["send"]
print("perf-tool senders=%s size=%s headers=ROCKETMQ sent=%d failed=%d seconds=%.1f tps=%.0f "
      "p50_ms=%.3f p99_ms=%.3f avg_ms=%.3f max_ms=%.3f cpu_s=%.2f cpu_us_per_msg=%.2f"
      % (sys.argv[2], sys.argv[3], j["totals"]["acknowledged"], j["totals"]["failed"], j["elapsed_s"],
         j["rates_per_s"]["acknowledged"], s["p50"], s["p99"], s["mean"], s["max"],
         j["cpu"]["total_s"], j["cpu"]["us_per_msg"]))
EOF
)"
echo "$RUST_LINE"

python3 - "$LABEL" "$TOOL_LINE" "$JAVA_LINE" "$RUST_LINE" <<'EOF'
import sys
label, lines = sys.argv[1], sys.argv[2:]
rows = []
for line in lines:
    name, *kv = line.split()
    rows.append((name, dict(p.split("=", 1) for p in kv)))
print(f"\nJava broker {label}, {rows[0][1]['senders']} senders, {rows[0][1]['size']}-byte messages, 8 queues\n")
print("| client | TPS | p50 ms | p99 ms | avg ms | client CPU µs/msg |")
print("|---|---|---|---|---|---|")
for name, d in rows:
    print(f"| {name} | {d.get('tps','-')} | {d.get('p50_ms','-')} | {d.get('p99_ms','-')} | {d.get('avg_ms','-')} | {d.get('cpu_us_per_msg','-')} |")
EOF
