#!/usr/bin/env bash
# Consumer benchmark, side by side against one Java broker (name server + broker from the
# cache of scripts/fetch-java.sh, started with scripts/java-cluster.sh on free ports), an
# 8-queue topic, 128-byte messages from the Java benchmark Producer. Two consumers:
#
#   java      examples/bench/JavaConsumerBench.java: a DefaultMQPushConsumer set up as the
#             Java benchmark Consumer sets it up (20 consume threads, averagely, one message
#             per call), recording B2C/S2C in a millisecond histogram (avg/p50/p99/max)
#   rust      examples/consumer_bench.rs (release): the SDK PushConsumer, same settings and
#             the same histogram; on one thread, and on two ("rust-mt")
#
#   drain     the Java Producer (16 threads) fills a backlog for PRELOAD s; then each
#             consumer, in a fresh group from the first offset, drains it alone: TPS from
#             the first message to the last, client CPU per message.
#   live      Java and the SDK consumer start on a fresh, empty topic in fresh groups; then
#             the Java Producer sends to it steadily (4 threads) and, after WARMUP s, both
#             measure the same wall-clock window of DURATION s: born-to-consume (B2C) and
#             store-to-consume (S2C) latency, client CPU per message (TPS is the
#             producer's rate here). Twice: with "rust", then with "rust-mt".
#
# Ends with tables of both and the SDK/Java ratios against the targets (>= 2x TPS,
# <= 1/4 CPU per message, <= 1/2 p99 B2C), with the load average seen.
#
# Usage: examples/bench/consumer-bench.sh [--version 4.9.8|5] [--duration S] [--preload S]
# Needs: java + javac (17), python3, cargo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java"
VERSION=5
DURATION=30
PRELOAD=60
WARMUP=5
TOPIC=BenchTopic8
LIVE_TOPICS=(BenchLiveTopic8a BenchLiveTopic8b) # a fresh topic per live round
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) VERSION="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --preload) PRELOAD="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "consumer-bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
log() { echo "consumer-bench.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in java javac python3 cargo; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
case "$VERSION" in
  4*) LABEL=4.9.8 ;;
  5*) LABEL="$(grep '^5\.' "$CACHE/versions.txt" | head -1)" ;;
esac
[[ -f "$CACHE/$LABEL/lib/.complete" ]] || die "Java $LABEL not cached: run scripts/fetch-java.sh"
CP="$CACHE/$LABEL/lib/*"
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
log "compiling JavaConsumerBench"
mkdir -p "$WORK/classes"
javac -nowarn -cp "$CP" -d "$WORK/classes" "$ROOT/examples/bench/JavaConsumerBench.java" || die "javac failed"

log "starting Java RocketMQ $LABEL (namesrv $NS, broker port $BROKER_PORT)"
"$ROOT/scripts/java-cluster.sh" start "$VERSION" >&2
for t in "$TOPIC" "${LIVE_TOPICS[@]}"; do
  "$ROOT/scripts/java-cluster.sh" admin updateTopic -b "127.0.0.1:$BROKER_PORT" -t "$t" -r 8 -w 8 >/dev/null
  for _ in $(seq 1 60); do
    "$ROOT/scripts/java-cluster.sh" admin topicRoute -t "$t" 2>/dev/null | grep -q brokerName && break
    sleep 1
  done
done
java_tool() { # class, log file, args...
  local class="$1" out="$2"; shift 2
  java "${OPENS[@]}" -Xms1g -Xmx1g -Duser.home="$WORK" -cp "$CP" \
    "org.apache.rocketmq.example.benchmark.$class" -n "$NS" "$@" > "$out" 2>&1 < /dev/null &
  PIDS+=("$!")
  echo "$!"
}
java_bench() { # topic, group, first|last, warmup s, duration s, expect [threads start-at-ms]
  java "${OPENS[@]}" -Xms1g -Xmx1g -Duser.home="$WORK" -cp "$WORK/classes:$CP" \
    JavaConsumerBench "$NS" "$@" 2>&1 < /dev/null | tee "$WORK/java-bench-$2.log" | grep '^java '
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

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
LOAD_DRAIN="$(loadavg)"
log "drain: Java ($BACKLOG messages; load average $LOAD_DRAIN)"
JAVA_DRAIN="$(java_bench "$TOPIC" "java_drain_$$" first 0 600 "$BACKLOG")" || die "the Java drain printed no result: $(tail -20 "$WORK/java-bench-java_drain_$$.log")"
echo "$JAVA_DRAIN"
log "drain: SDK, one thread"
RUST_DRAIN="$("$BENCH" --namesrv "$NS" --topic "$TOPIC" --group "rust_drain_$$" --from first --expect "$BACKLOG" --duration 600)"
echo "$RUST_DRAIN"
log "drain: SDK, two worker threads"
RUST_DRAIN_MT="$("$BENCH" --namesrv "$NS" --topic "$TOPIC" --group "rust_drain_mt_$$" --from first --expect "$BACKLOG" --duration 600 --threads 2 | sed 's/^rust /rust-mt /')"
echo "$RUST_DRAIN_MT"

# 3. Live traffic: both consumers start on a fresh, empty topic (a new group "from last"
# starts at offset 0 on a Java broker while the queue's messages are in memory, so any
# history would be a backlog to drain first); then the Java Producer sends steadily and,
# after WARMUP s, both measure the same wall-clock window of DURATION s. Twice: Java with
# the SDK on one thread, then with the SDK on two, each round on its own topic.
log "live: per round, both consumers, then the Java Producer (4 threads), $WARMUP s warm-up + $DURATION s"
live_pair() { # round, topic, SDK runtime threads (0 = one thread), SDK label
  local round="$1" topic="$2" threads="$3" label="$4" start_at load_before p j r
  # 3 s for both to start (the JVM takes longest), then the producer's warm-up.
  start_at="$(python3 -c "import time; print(int(time.time() * 1000) + ($WARMUP + 3) * 1000)")"
  java_bench "$topic" "java_live${round}_$$" last "$WARMUP" "$DURATION" 0 20 "$start_at" > "$WORK/java-live$round.out" &
  j=$!
  "$BENCH" --namesrv "$NS" --topic "$topic" --group "rust_live${round}_$$" --from last \
    --start-at "$start_at" --duration "$DURATION" --threads "$threads" | sed "s/^rust /$label /" > "$WORK/rust-live$round.out" &
  r=$!
  sleep 3
  p="$(java_tool Producer "$WORK/live-producer$round.out" -t "$topic" -w 4 -s 128)"
  load_before="$(loadavg)"
  wait "$r"
  [[ -s "$WORK/rust-live$round.out" ]] || die "SDK live run $round printed no result"
  wait "$j" || die "the Java live run $round printed no result: $(tail -20 "$WORK/java-bench-java_live${round}_$$.log")"
  echo "load=$(tr ' ' '/' <<< "$load_before")/$(loadavg | tr ' ' '/')" > "$WORK/load-live$round.out"
  kill -9 "$p" 2>/dev/null || true
  cat "$WORK/java-live$round.out" "$WORK/rust-live$round.out" >&2
}
live_pair 1 "${LIVE_TOPICS[0]}" 0 rust
live_pair 2 "${LIVE_TOPICS[1]}" 2 rust-mt

python3 - "$LABEL" "$BACKLOG" "$LOAD_DRAIN" \
  "$JAVA_DRAIN" "$RUST_DRAIN" "$RUST_DRAIN_MT" \
  -- "$(cat "$WORK/load-live1.out")" "$(cat "$WORK/java-live1.out")" "$(cat "$WORK/rust-live1.out")" \
  -- "$(cat "$WORK/load-live2.out")" "$(cat "$WORK/java-live2.out")" "$(cat "$WORK/rust-live2.out")" <<'EOF'
import sys
label, backlog, load_drain = sys.argv[1:4]
sections, current = [], []
for arg in sys.argv[4:]:
    if arg == "--":
        sections.append(current)
        current = []
    else:
        current.append(arg)
sections.append(current)
def rows(lines):
    out = []
    for line in lines:
        name, *kv = line.split()
        d = {k: float(v) for k, v in (p.split("=", 1) for p in kv)}
        # CPU seconds per wall second: on a loaded machine, how much of a core it got.
        d["cores"] = round(d["cpu_s"] / d["secs"], 2) if d.get("secs") else 0
        out.append((name, d))
    return out
def fmt(v):
    return "-" if v is None else "%.2f" % v
def div(a, b):
    return a / b if b else None
def verdict(v, target, higher_better):
    if v is None:
        return ""
    return " (meets)" if (v >= target if higher_better else v <= target) else " (misses)"
COLS = [("tps", "TPS"), ("b2c_avg_ms", "B2C avg ms"), ("b2c_p50_ms", "B2C p50"),
        ("b2c_p99_ms", "B2C p99"), ("b2c_max_ms", "B2C max"), ("s2c_avg_ms", "S2C avg ms"),
        ("s2c_p99_ms", "S2C p99"), ("cpu_us_per_msg", "CPU µs/msg"), ("cores", "cores used"),
        ("msgs", "msgs"), ("secs", "secs")]
def table(section):
    print("| client | " + " | ".join(h for _, h in COLS) + " |")
    print("|---" * (len(COLS) + 1) + "|")
    for name, d in section:
        print(f"| {name} | " + " | ".join("%g" % d[k] if k in d else "-" for k, _ in COLS) + " |")
def ratios(section, latency):
    java = dict(section).get("java")
    if java is None:
        return
    if latency:
        print("\n| SDK / Java | TPS (producer-bound) | B2C avg | B2C p99 (<= 0.5) | S2C avg | S2C p99 | CPU µs/msg (<= 0.25) |")
        print("|---|---|---|---|---|---|---|")
    else:
        print("\n| SDK / Java | TPS (>= 2) | CPU µs/msg (<= 0.25) |")
        print("|---|---|---|")
    for name, d in section:
        if name == "java":
            continue
        tps = div(d["tps"], java["tps"])
        p99 = div(d["b2c_p99_ms"], java["b2c_p99_ms"])
        cpu = div(d["cpu_us_per_msg"], java["cpu_us_per_msg"])
        if latency:
            print(f"| {name} | {fmt(tps)} | {fmt(div(d['b2c_avg_ms'], java['b2c_avg_ms']))} | "
                  f"{fmt(p99)}{verdict(p99, 0.5, False)} | {fmt(div(d['s2c_avg_ms'], java['s2c_avg_ms']))} | "
                  f"{fmt(div(d['s2c_p99_ms'], java['s2c_p99_ms']))} | {fmt(cpu)}{verdict(cpu, 0.25, False)} |")
        else:
            print(f"| {name} | {fmt(tps)}{verdict(tps, 2, True)} | {fmt(cpu)}{verdict(cpu, 0.25, False)} |")
drain = rows(sections[0])
print(f"\nJava broker {label}, 8 queues, 128-byte messages, 20 consume threads/tasks, one message per call\n")
print(f"Drain a backlog of {backlog} messages, one consumer at a time (load average before: {load_drain}):")
print("(B2C/S2C here are the age of the backlog, not a latency.)\n")
table(drain)
ratios(drain, False)
for i, section in enumerate(sections[1:], 1):
    load = section[0].split("=", 1)[1].split("/")
    print(f"\nLive traffic {i} (Java Producer, 4 threads), both consumers at once "
          f"(load average before: {' '.join(load[:3])}, after: {' '.join(load[3:])}):\n")
    live = rows(section[1:])
    table(live)
    ratios(live, True)
EOF
