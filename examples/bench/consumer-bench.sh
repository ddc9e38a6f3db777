#!/usr/bin/env bash
# Consumer benchmark, side by side against one Java broker (name server + broker from the
# cache of scripts/fetch-java.sh, started with scripts/java-cluster.sh on free ports), an
# 8-queue topic, 128-byte messages from the Java benchmark Producer:
#
#   drain     the Java Producer (16 threads) fills a backlog for PRELOAD s; then each
#             consumer, in a fresh group, drains it alone: the Java benchmark Consumer
#             (20 threads; TPS from its 10-s lines), then the SDK (examples/consumer_bench.rs,
#             release) on one thread and on two; TPS and client CPU per message.
#   live      the Java Producer sends steadily (4 threads) while the Java tool and the SDK
#             consume it at the same time in two groups for DURATION s: born-to-consume
#             (B2C) and store-to-consume (S2C) latency; the Java tool prints averages and
#             maxima only, the SDK also p99.
#
# Usage: examples/bench/consumer-bench.sh [--version 4.9.8|5] [--duration S] [--preload S]
# Needs: java (17), python3, cargo. Prints one line per run and markdown tables.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java"
VERSION=5
DURATION=30
PRELOAD=60
WARMUP=5
TOPIC=BenchTopic8
LIVE_TOPIC=BenchLiveTopic8
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) VERSION="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --preload) PRELOAD="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "consumer-bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
log() { echo "consumer-bench.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in java python3 cargo getconf; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
case "$VERSION" in
  4*) LABEL=4.9.8 ;;
  5*) LABEL="$(grep '^5\.' "$CACHE/versions.txt" | head -1)" ;;
esac
[[ -f "$CACHE/$LABEL/lib/.complete" ]] || die "Java $LABEL not cached: run scripts/fetch-java.sh"
CP="$CACHE/$LABEL/lib/*"
CLK_TCK="$(getconf CLK_TCK)"
OPENS=(--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED)

WORK="$(mktemp -d /tmp/consumer-bench.XXXXXX)"
export JAVA_CLUSTER_DIR="$WORK/cluster"
read -r NAMESRV_PORT BROKER_PORT < <(python3 - <<'EOF'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
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

log "building the Rust benchmark (release)"
(cd "$ROOT" && cargo build --release -q -p examples --example consumer_bench) || die "build failed"
BENCH="$ROOT/target/release/examples/consumer_bench"

log "starting Java RocketMQ $LABEL (namesrv $NS, broker port $BROKER_PORT)"
"$ROOT/scripts/java-cluster.sh" start "$VERSION" >&2
for t in "$TOPIC" "$LIVE_TOPIC"; do
  "$ROOT/scripts/java-cluster.sh" admin updateTopic -b "127.0.0.1:$BROKER_PORT" -t "$t" -r 8 -w 8 >/dev/null
  for _ in $(seq 1 60); do
    "$ROOT/scripts/java-cluster.sh" admin topicRoute -t "$t" 2>/dev/null | grep -q brokerName && break
    sleep 1
  done
done
# 5.x's Consumer can report every second (-ri), which a short drain needs; 4.9.8 reports
# every 10 s.
case "$LABEL" in 4.*) RI=(); REPORT=10 ;; *) RI=(-ri 1000); REPORT=1 ;; esac

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
java_tool() { # class, log file, args...
  local class="$1" out="$2"; shift 2
  java "${OPENS[@]}" -Xms1g -Xmx1g -Duser.home="$WORK" -cp "$CP" \
    "org.apache.rocketmq.example.benchmark.$class" -n "$NS" "$@" > "$out" 2>&1 < /dev/null &
  PIDS+=("$!")
  echo "$!"
}
# Parses the Java Consumer's 10-s lines: TPS (mean of reports with traffic; with --drain
# the last, partial report is left out), B2C/S2C averages and the B2C maximum.
parse_java() { # file, name, cpu seconds, drain(0|1)
  python3 - "$@" "$REPORT" <<'EOF'
import re, sys
path, name, cpu, drain = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1"
interval = int(sys.argv[5])
rows = []
for line in open(path, errors="replace"):
    m = re.search(r"TPS: (\d+).*?AVG\(B2C\) RT\(ms\): *([\d.]+).*?AVG\(S2C\) RT\(ms\): *([\d.]+).*?MAX\(B2C\) RT\(ms\): *(\d+)", line)
    if m:
        rows.append((int(m.group(1)), float(m.group(2)), float(m.group(3)), int(m.group(4))))
busy = [r for r in rows if r[0] > 0]
full = busy[:-1] if drain and len(busy) > 1 else busy
tps = sum(r[0] for r in full) / len(full) if full else 0
msgs = sum(r[0] for r in busy) * interval
print("%s msgs=%d tps=%.0f b2c_avg_ms=%.3f b2c_max_ms=%d s2c_avg_ms=%.3f cpu_s=%.2f cpu_us_per_msg=%.2f" % (
    name, msgs, tps,
    sum(r[1] for r in busy) / len(busy) if busy else 0, max((r[3] for r in busy), default=0),
    sum(r[2] for r in busy) / len(busy) if busy else 0, cpu, cpu * 1e6 / msgs if msgs else 0))
EOF
}

# 1. Backlog.
log "preload: Java Producer, 16 threads, $PRELOAD s"
P="$(java_tool Producer "$WORK/preload.out" -t "$TOPIC" -w 16 -s 128)"
sleep "$PRELOAD"
kill -9 "$P" 2>/dev/null || true
wait "$P" 2>/dev/null || true
sleep 2
BACKLOG="$("$ROOT/scripts/java-cluster.sh" admin topicStatus -t "$TOPIC" 2>/dev/null | awk '$2 ~ /^[0-9]+$/ && NF >= 4 { sum += $4 } END { print sum + 0 }')"
log "backlog: $BACKLOG messages"
[[ "$BACKLOG" -gt 0 ]] || die "no backlog"

# 2. Drain, one consumer at a time.
log "drain: Java benchmark Consumer"
C="$(java_tool Consumer "$WORK/java-drain.out" -t "$TOPIC" -g java_drain_$$ "${RI[@]}")"
C0="$(cpu_ticks "$C")"
for _ in $(seq 1 "$((DURATION * 10))"); do
  sleep "$((REPORT * 5))"
  # Done when (nearly) all is consumed, or idle for 5 reports after being busy (Java's
  # CONSUME_FROM_LAST_OFFSET lets the broker start some queues at their end).
  python3 - "$WORK/java-drain.out" "$BACKLOG" "$REPORT" <<'EOF' && break
import re, sys
tps = [int(m.group(1)) for m in re.finditer(r"TPS: (\d+)", open(sys.argv[1], errors="replace").read())]
n = sum(tps) * int(sys.argv[3])
idle = len(tps) >= 5 and any(tps) and not any(tps[-5:])
sys.exit(0 if n >= int(sys.argv[2]) * 0.98 or idle else 1)
EOF
done
sleep "$((REPORT + 1))"
C1="$(cpu_ticks "$C")"
kill -9 "$C" 2>/dev/null || true
JAVA_DRAIN="$(parse_java "$WORK/java-drain.out" java-tool "$(python3 -c "print(($C1 - $C0) / $CLK_TCK)")" 1)"
echo "$JAVA_DRAIN"
log "drain: SDK, one thread"
RUST_DRAIN="$("$BENCH" --namesrv "$NS" --topic "$TOPIC" --group "rust_drain_$$" --from first --expect "$BACKLOG" --duration 600)"
echo "$RUST_DRAIN"
log "drain: SDK, two worker threads"
RUST_DRAIN_MT="$("$BENCH" --namesrv "$NS" --topic "$TOPIC" --group "rust_drain_mt_$$" --from first --expect "$BACKLOG" --duration 600 --threads 2 | sed 's/^rust /rust-mt /')"
echo "$RUST_DRAIN_MT"

# 3. Live traffic, both consumers at once.
log "live: Java Producer (4 threads) with both consumers, $WARMUP s warm-up + $DURATION s"
P="$(java_tool Producer "$WORK/live-producer.out" -t "$LIVE_TOPIC" -w 4 -s 128)"
C="$(java_tool Consumer "$WORK/java-live.out" -t "$LIVE_TOPIC" -g java_live_$$ "${RI[@]}")"
"$BENCH" --namesrv "$NS" --topic "$LIVE_TOPIC" --group "rust_live_$$" --from last --warmup "$WARMUP" --duration "$DURATION" > "$WORK/rust-live.out" &
R=$!
sleep "$WARMUP"
L0="$(wc -l < "$WORK/java-live.out")"
C0="$(cpu_ticks "$C")"
wait "$R"
C1="$(cpu_ticks "$C")"
kill -9 "$C" "$P" 2>/dev/null || true
tail -n +"$((L0 + 1))" "$WORK/java-live.out" > "$WORK/java-live-window.out"
JAVA_LIVE="$(parse_java "$WORK/java-live-window.out" java-tool "$(python3 -c "print(($C1 - $C0) / $CLK_TCK)")" 0)"
RUST_LIVE="$(cat "$WORK/rust-live.out")"
echo "$JAVA_LIVE"
echo "$RUST_LIVE"

python3 - "$LABEL" "$BACKLOG" "$JAVA_DRAIN" "$RUST_DRAIN" "$RUST_DRAIN_MT" -- "$JAVA_LIVE" "$RUST_LIVE" <<'EOF'
import sys
label, backlog, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
sep = rest.index("--")
def rows(lines):
    out = []
    for line in lines:
        name, *kv = line.split()
        out.append((name, dict(p.split("=", 1) for p in kv)))
    return out
print(f"\nJava broker {label}, 8 queues, 128-byte messages\n")
print(f"Drain a backlog of {backlog} messages, one consumer at a time:\n")
print("| client | TPS | client CPU µs/msg |")
print("|---|---|---|")
for name, d in rows(rest[:sep]):
    print(f"| {name} | {d.get('tps','-')} | {d.get('cpu_us_per_msg','-')} |")
print("\nLive traffic (Java Producer, 4 threads), both consumers at once:\n")
print("| client | TPS | B2C avg ms | B2C p99 ms | B2C max ms | S2C avg ms | client CPU µs/msg |")
print("|---|---|---|---|---|---|---|")
for name, d in rows(rest[sep + 1:]):
    print(f"| {name} | {d.get('tps','-')} | {d.get('b2c_avg_ms','-')} | {d.get('b2c_p99_ms','-')} | {d.get('b2c_max_ms','-')} | {d.get('s2c_avg_ms','-')} | {d.get('cpu_us_per_msg','-')} |")
EOF
