#!/usr/bin/env bash
# Consumer benchmark, side by side against one Java broker (name server + broker from the
# cache of scripts/fetch-java.sh, started with scripts/java-cluster.sh on free ports), an
# 8-queue topic, 128-byte messages from the Java benchmark Producer. Two consumers:
#
#   java      examples/bench/JavaConsumerBench.java: a DefaultMQPushConsumer set up as the
#             Java benchmark Consumer sets it up (20 consume threads, averagely, one message
#             per call), recording B2C/S2C in a histogram of 0.1 ms buckets (avg/p50/p99/max;
#             the clock read in microseconds against the messages' millisecond timestamps,
#             which over-states every latency by up to 1 ms, alike for both consumers)
#   rust      examples/consumer_bench.rs (release): the SDK PushConsumer, same settings and
#             the same histogram; on one thread, and on two ("rust-mt")
#
#   drain     the Java Producer (16 threads) fills a backlog for PRELOAD s; then each
#             consumer, in a fresh group from the first offset, drains it alone: TPS from
#             the first message to the last, client CPU per message.
#   live      Java and the SDK consumer start on a fresh, empty topic in fresh groups; once
#             both have their queues (each creates a ready file then; at most 10 s), the
#             Java Producer sends to it steadily (4 threads) and, after WARMUP s, both
#             measure the same wall-clock window of DURATION s: born-to-consume (B2C) and
#             store-to-consume (S2C) latency, client CPU per message (TPS is the
#             producer's rate here). Twice: with "rust", then with "rust-mt". A window
#             in which either consumer's B2C p50 exceeds 1 s (it got going late and
#             started on a backlog, so it did not measure live delivery) is run again on
#             a fresh topic, up to LIVE_TRIES times in all; if none was live, the last is
#             shown without ratios.
#   alone     the same live traffic, each consumer alone (Java, and the SDK on one
#             thread, each on a fresh topic), as producer-bench.sh runs producers one at a
#             time: on 2 cores the consumers side by side also compete with each other
#             for CPU. ALONE_ROUNDS rounds (--alone-rounds, default 3), each a Java run and
#             an SDK run in alternating order (Java first in odd rounds), reported round by
#             round and pooled (the histograms of all rounds merged; also the median of the
#             rounds' p99 ratios), so one noisy round does not decide. A round in which
#             either consumer's B2C p50 exceeds 1 s is shown but left out of both: that
#             consumer got its queues late and started on a backlog, so it did not
#             measure live delivery. Reported next to the side-by-side figures, not
#             instead of them.
#
# Ends with tables of both and the SDK/Java ratios against the targets (>= 2x TPS,
# <= 1/4 CPU per message, <= 1/2 p99 B2C), with the load average seen, and each
# consumer's run-queue wait per run (its threads' time runnable but waiting for a core,
# from /proc/self/task/*/schedstat, divided by the times they got one): the part of the
# latency the machine's load adds, however little the client itself does.
#
# --wire (root or CAP_NET_RAW; off by default, it costs CPU): during the first live round
# and the rounds alone, a capture on loopback (python3, AF_PACKET with a kernel filter on
# the broker port) takes the kernel's receive time of every message in the broker's frames
# to each consumer's connection: B2C/S2C as delivered to the socket, before any client
# code runs. The gap to the listener's figures is what the client adds; the wire figures
# are the floor no client can go below on that broker and machine.
#
# Usage: examples/bench/consumer-bench.sh [--version 4.9.8|5] [--duration S] [--preload S]
#                                         [--alone-rounds N] [--wire]
# Needs: java + javac (17), python3, cargo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java"
VERSION=5
DURATION=30
PRELOAD=60
WARMUP=5
WIRE=0
TOPIC=BenchTopic8
ALONE_ROUNDS=3
LIVE_TRIES=3 # side-by-side windows tried per live round (see the header)
# A run whose median born-to-consume time is longer than this did not measure live
# delivery: its consumer got going late and started on a backlog (see the header).
LIVE_P50_MS=1000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) VERSION="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --preload) PRELOAD="$2"; shift 2 ;;
    --wire) WIRE=1; shift ;;
    --alone-rounds) ALONE_ROUNDS="$2"; shift 2 ;;
    -h|--help) sed -n '2,50p' "$0"; exit 0 ;;
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
[[ "$ALONE_ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--alone-rounds needs a positive number"
ALONE_TOPICS=() # a fresh topic per run alone
for i in $(seq 1 $(( ALONE_ROUNDS * 2 ))); do ALONE_TOPICS+=("BenchAloneTopic8_$i"); done
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
create_topic() { # topic: 8 queues, once its route is published
  "$ROOT/scripts/java-cluster.sh" admin updateTopic -b "127.0.0.1:$BROKER_PORT" -t "$1" -r 8 -w 8 >/dev/null
  for _ in $(seq 1 60); do
    "$ROOT/scripts/java-cluster.sh" admin topicRoute -t "$1" 2>/dev/null | grep -q brokerName && break
    sleep 1
  done
}
# The live rounds' first tries; a try again gets its topic when it comes.
for t in "$TOPIC" BenchLiveTopic8_1_1 BenchLiveTopic8_2_1 "${ALONE_TOPICS[@]}"; do create_topic "$t"; done
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
# Live runs start the producer only once each consumer has its queues (each creates its
# BENCH_READY_FILE then), so none starts on a backlog; at most READY_MAX s after launch,
# which is also what the measured window's start leaves for it.
READY_MAX=10
wait_ready() { # files...
  local deadline=$((SECONDS + READY_MAX)) f
  for f in "$@"; do
    while [[ ! -e "$f" ]]; do
      if (( SECONDS >= deadline )); then
        log "WARNING: no queues for $(basename "$f" .ready) after $READY_MAX s; starting the producer anyway"
        return 0
      fi
      sleep 0.05
    done
  done
}
if [[ "$WIRE" == 1 ]]; then
  cat > "$WORK/wire.py" <<'PYEOF'
# Wire-level B2C/S2C: for every message in a broker->client frame on loopback, the kernel
# receive timestamp minus the message's born/store timestamp, per client port.
import socket, struct, sys, time, collections
port, secs = int(sys.argv[1]), float(sys.argv[2])
ETH_P_ALL = 3
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
prog = [
    (0x20, 0, 0, 0xfffff004),   # pkttype
    (0x15, 0, 10, 0),           # HOST
    (0x28, 0, 0, 12),
    (0x15, 0, 8, 0x800),
    (0x30, 0, 0, 23),
    (0x15, 0, 6, 6),
    (0x28, 0, 0, 20),
    (0x45, 4, 0, 0x1fff),
    (0xb1, 0, 0, 14),
    (0x48, 0, 0, 14),
    (0x15, 0, 1, port),
    (0x06, 0, 0, 262144),
    (0x06, 0, 0, 0),
]
import ctypes
buf = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in prog))
fprog = struct.pack("HL", len(prog), ctypes.addressof(buf))
s.setsockopt(socket.SOL_SOCKET, 26, fprog)  # SO_ATTACH_FILTER
s.setsockopt(socket.SOL_SOCKET, 35, 1)      # SO_TIMESTAMPNS
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE: few drops under load
except OSError:
    pass
s.bind(("lo", 0))
s.settimeout(0.5)
b2c = collections.defaultdict(list); s2c = collections.defaultdict(list)
end = time.time() + secs
while time.time() < end:
    try:
        data, anc, _, _ = s.recvmsg(262144, 64)
    except socket.timeout:
        continue
    ts = None
    for lvl, typ, d in anc:
        if lvl == socket.SOL_SOCKET and typ == 35:
            sec, nsec = struct.unpack("qq", d[:16]); ts = sec * 1_000_000 + nsec // 1000
    if ts is None:
        continue
    ihl = (data[14] & 0xf) * 4
    t = 14 + ihl
    dport = struct.unpack(">H", data[t+2:t+4])[0]
    doff = (data[t+12] >> 4) * 4
    p = data[t+doff:]
    i = 0
    while i + 8 <= len(p):
        ln, hw = struct.unpack(">II", p[i:i+8])
        if ln > 1 << 24 or i + 4 + ln > len(p):
            break
        hl = hw & 0xffffff
        body = p[i+8+hl:i+4+ln]
        j = 0
        while j + 64 <= len(body):
            size, magic = struct.unpack(">ii", body[j:j+8])
            if magic not in (-626843481, -626843477) or size <= 0:
                break
            sysflag = struct.unpack(">i", body[j+36:j+40])[0]
            born = struct.unpack(">q", body[j+40:j+48])[0]
            so = 56 if not sysflag & 0x10 else 68
            store = struct.unpack(">q", body[j+so:j+so+8])[0]
            if 0 <= ts - born * 1000 < 60_000_000:
                b2c[dport].append(ts - born * 1000); s2c[dport].append(ts - store * 1000)
            j += size
        i += 4 + ln
def pct(v, f):
    v = sorted(v); return (v[max(0, min(len(v) - 1, int(len(v) * f + 0.999999) - 1))] // 100) / 10
for dport in b2c:
    b, st = b2c[dport], s2c[dport]
    print(f"wire port={dport} msgs={len(b)} b2c_avg_ms={sum(b)/len(b)/1000:.3f} b2c_p50_ms={pct(b,.5):.1f} b2c_p99_ms={pct(b,.99):.1f} b2c_max_ms={max(b)/1000:.1f} s2c_avg_ms={sum(st)/len(st)/1000:.3f} s2c_p50_ms={pct(st,.5):.1f} s2c_p99_ms={pct(st,.99):.1f}")
PYEOF
fi
# With --wire: captures the measured window (from the wall-clock start-at, DURATION s) and
# writes one line per consumer connection, named after the process owning it.
wire_capture() { # start-at ms, out file
  [[ "$WIRE" == 1 ]] || return 0
  local start_at="$1" out="$2" now w
  now="$(python3 -c "import time; print(int(time.time() * 1000))")"
  sleep "$(python3 -c "print(max(0, ($start_at - $now) / 1000))")"
  python3 "$WORK/wire.py" "$BROKER_PORT" "$DURATION" > "$out.raw" 2>&1 &
  w=$!
  sleep 2
  ss -tnpH state established "( dport = :$BROKER_PORT )" > "$out.ss" 2>/dev/null || true
  wait "$w" || true
  python3 - "$out.raw" "$out.ss" > "$out" <<'PYEOF'
import re, sys
owner = {}
for line in open(sys.argv[2]):
    cols = line.split()
    m = re.search(r'"([^"]+)"', line)
    if len(cols) >= 4 and m:
        owner[cols[2].rsplit(":", 1)[1]] = "rust-wire" if m.group(1).startswith("consumer_bench") else "java-wire"
for line in open(sys.argv[1]):
    if line.startswith("wire port="):
        _, port, rest = line.split(" ", 2)
        print(owner.get(port.split("=")[1], "other-wire"), rest.strip())
PYEOF
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
  # Up to READY_MAX s for both to get their queues (the JVM takes longest), then at least
  # the producer's warm-up.
  start_at="$(python3 -c "import time; print(int(time.time() * 1000) + ($WARMUP + $READY_MAX) * 1000)")"
  # A retry of the round reuses the file names: the last try's files would let the
  # producer start before this try's consumers have their queues (each consumer also
  # refuses to replace one).
  rm -f "$WORK/java-live$round.ready" "$WORK/rust-live$round.ready"
  BENCH_READY_FILE="$WORK/java-live$round.ready" \
    java_bench "$topic" "java_live${round}_$$" last "$WARMUP" "$DURATION" 0 20 "$start_at" > "$WORK/java-live$round.out" &
  j=$!
  BENCH_READY_FILE="$WORK/rust-live$round.ready" \
    "$BENCH" --namesrv "$NS" --topic "$topic" --group "rust_live${round}_$$" --from last \
    --start-at "$start_at" --duration "$DURATION" --threads "$threads" | sed "s/^rust /$label /" > "$WORK/rust-live$round.out" &
  r=$!
  wait_ready "$WORK/java-live$round.ready" "$WORK/rust-live$round.ready"
  p="$(java_tool Producer "$WORK/live-producer$round.out" -t "$topic" -w 4 -s 128)"
  load_before="$(loadavg)"
  if [[ "$round" == 1 ]]; then wire_capture "$start_at" "$WORK/wire-live$round.out"; fi
  wait "$r"
  [[ -s "$WORK/rust-live$round.out" ]] || die "SDK live run $round printed no result"
  wait "$j" || die "the Java live run $round printed no result: $(tail -20 "$WORK/java-bench-java_live${round}_$$.log")"
  echo "load=$(tr ' ' '/' <<< "$load_before")/$(loadavg | tr ' ' '/')" > "$WORK/load-live$round.out"
  kill -9 "$p" 2>/dev/null || true
  cat "$WORK/java-live$round.out" "$WORK/rust-live$round.out" | tee "$WORK/live$round.txt" >&2
}
# True when both consumers of the last window of `round` measured live delivery (B2C p50
# at most LIVE_P50_MS, the report's rule).
pair_live() { # round
  python3 - "$LIVE_P50_MS" "$WORK/java-live$1.out" "$WORK/rust-live$1.out" <<'PYEOF'
import re, sys
for path in sys.argv[2:]:
    m = re.search(r"b2c_p50_ms=([0-9.]+)", open(path).read())
    if not m or float(m.group(1)) > float(sys.argv[1]):
        sys.exit(1)
PYEOF
}
live_round() { # round, SDK runtime threads, SDK label
  local round="$1" threads="$2" label="$3" try topic
  for try in $(seq 1 "$LIVE_TRIES"); do
    topic="BenchLiveTopic8_${round}_$try" # a fresh topic per try
    if (( try > 1 )); then create_topic "$topic"; fi
    live_pair "$round" "$topic" "$threads" "$label"
    sed -i "1s/\$/ try=$try/" "$WORK/load-live$round.out"
    if pair_live "$round"; then return 0; fi
    log "live $round, try $try of $LIVE_TRIES: a consumer's B2C p50 is over $LIVE_P50_MS ms (it started on a backlog, not live)"
  done
}
live_round 1 0 rust
live_round 2 2 rust-mt

# 4. The same live traffic, one consumer at a time: ALONE_ROUNDS rounds, each a Java run and
# an SDK run (one thread) on fresh topics, in alternating order (Java first in odd rounds,
# the SDK first in even ones), so neither always runs first or last. Each run writes its
# histograms, so the report gives every round and the rounds pooled.
log "alone: each consumer by itself on the same live traffic, $ALONE_ROUNDS rounds in alternating order, $WARMUP s warm-up + $DURATION s each"
live_alone() { # round, topic, java|rust
  local round="$1" topic="$2" who="$3" start_at load_before p c out="$WORK/alone-$3-$1"
  start_at="$(python3 -c "import time; print(int(time.time() * 1000) + ($WARMUP + $READY_MAX) * 1000)")"
  if [[ "$who" == java ]]; then
    BENCH_READY_FILE="$out.ready" \
      java_bench "$topic" "java_alone${round}_$$" last "$WARMUP" "$DURATION" 0 20 "$start_at" "$out.hist" > "$out.out" &
  else
    BENCH_READY_FILE="$out.ready" \
      "$BENCH" --namesrv "$NS" --topic "$topic" --group "rust_alone${round}_$$" --from last \
      --start-at "$start_at" --duration "$DURATION" --histogram-out "$out.hist" > "$out.out" &
  fi
  c=$!
  wait_ready "$out.ready"
  p="$(java_tool Producer "$WORK/alone-producer-$who-$round.out" -t "$topic" -w 4 -s 128)"
  load_before="$(loadavg)"
  if [[ "$round" == 1 ]]; then wire_capture "$start_at" "$WORK/wire-alone-$who.out"; fi
  wait "$c" || die "the $who run alone (round $round) printed no result"
  [[ -s "$out.out" ]] || die "the $who run alone (round $round) printed no result"
  echo "load=$(tr ' ' '/' <<< "$load_before")/$(loadavg | tr ' ' '/')" > "$out.load"
  kill -9 "$p" 2>/dev/null || true
  echo "round $round: $(cat "$out.out")" >&2
}
ALONE_ARGS=()
for round in $(seq 1 "$ALONE_ROUNDS"); do
  if (( round % 2 == 1 )); then order=(java rust); else order=(rust java); fi
  for who in "${order[@]}"; do
    if [[ "$who" == java ]]; then i=$(( (round - 1) * 2 )); else i=$(( (round - 1) * 2 + 1 )); fi
    live_alone "$round" "${ALONE_TOPICS[$i]}" "$who"
  done
  ALONE_ARGS+=("$round" "${order[0]}" \
    "$(cat "$WORK/alone-java-$round.load")" "$(cat "$WORK/alone-java-$round.out")" "$WORK/alone-java-$round.hist" \
    "$(cat "$WORK/alone-rust-$round.load")" "$(cat "$WORK/alone-rust-$round.out")" "$WORK/alone-rust-$round.hist")
done

LIVE_P50_MS="$LIVE_P50_MS" python3 - "$LABEL" "$BACKLOG" "$LOAD_DRAIN" \
  "$JAVA_DRAIN" "$RUST_DRAIN" "$RUST_DRAIN_MT" \
  -- "$(cat "$WORK/load-live1.out")" "$(cat "$WORK/java-live1.out")" "$(cat "$WORK/rust-live1.out")" \
  -- "$(cat "$WORK/load-live2.out")" "$(cat "$WORK/java-live2.out")" "$(cat "$WORK/rust-live2.out")" \
  -- "${ALONE_ARGS[@]}" <<'EOF'
import os, sys
label, backlog, load_drain = sys.argv[1:4]
# A run whose median born-to-consume time is longer than this did not measure live
# delivery: its consumer got going late (for instance a first rebalance that found no
# route yet, the next one 20 s later) and started on a backlog.
LIVE_P50_MS = float(os.environ["LIVE_P50_MS"])
def is_live(d):
    return d["b2c_p50_ms"] <= LIVE_P50_MS
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
        ("runq_wait_us_per_run", "run-queue wait µs/run"), ("msgs", "msgs"), ("secs", "secs")]
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
for i, section in enumerate(sections[1:3], 1):
    load_text, _, tries = section[0].split("=", 1)[1].partition(" try=")
    load = load_text.strip().split("/")
    tried = f"; window run {tries.strip()} times" if tries.strip() not in ("", "1") else ""
    print(f"\nLive traffic {i} (Java Producer, 4 threads), both consumers at once "
          f"(load average before: {' '.join(load[:3])}, after: {' '.join(load[3:])}{tried}):\n")
    live = rows(section[1:])
    table(live)
    late = [name for name, d in live if not is_live(d)]
    if late:
        print(f"\nNo ratios: {', '.join(late)} started on a backlog (B2C p50 over "
              f"{LIVE_P50_MS:g} ms) in every try, so this window did not measure live delivery.")
    else:
        ratios(live, True)
def read_hist(path):
    """A histogram file of --histogram-out: {name: (counts by bucket, sum us, max us)}."""
    out = {}
    for line in open(path):
        f = line.split()
        counts, total, top = out.setdefault(f[0], ({}, 0, 0))
        if f[1] == "sum":
            out[f[0]] = (counts, total + int(f[2]), max(top, int(f[4])))
        else:
            counts[int(f[1])] = counts.get(int(f[1]), 0) + int(f[2])
    return out
def merge(hists):
    pooled = {}
    for h in hists:
        for name, (counts, total, top) in h.items():
            c, t, m = pooled.setdefault(name, ({}, 0, 0))
            for i, n in counts.items():
                c[i] = c.get(i, 0) + n
            pooled[name] = (c, t + total, max(m, top))
    return pooled
FINE_BUCKETS = 1000  # 0.1 ms buckets below 100 ms, 1 ms above (as both benchmarks)
def floor_ms(i):
    return i / 10 if i < FINE_BUCKETS else 100 + (i - FINE_BUCKETS)
def percentile(counts, fraction):
    n = sum(counts.values())
    if n == 0:
        return 0.0
    rank, seen = max(1, -(-n * fraction // 1)), 0
    for i in sorted(counts):
        seen += counts[i]
        if seen >= rank:
            return floor_ms(i)
    return 0.0
def pooled_row(runs, hist):
    """One row for several runs of a client: counts, time and CPU summed, latencies from
    the merged histograms."""
    msgs = sum(d["msgs"] for d in runs)
    secs = sum(d["secs"] for d in runs)
    cpu = sum(d["cpu_s"] for d in runs)
    row = {"msgs": msgs, "secs": round(secs, 1), "tps": round(msgs / secs) if secs else 0,
           "cpu_s": cpu, "cpu_us_per_msg": round(cpu * 1e6 / msgs, 2) if msgs else 0,
           "cores": round(cpu / secs, 2) if secs else 0,
           "runq_wait_us_per_run": round(sum(d["runq_wait_us_per_run"] for d in runs) / len(runs), 1)}
    for kind in ("b2c", "s2c"):
        counts, total, top = hist.get(kind, ({}, 0, 0))
        n = sum(counts.values())
        row[f"{kind}_avg_ms"] = round(total / n / 1000, 3) if n else 0
        row[f"{kind}_p50_ms"] = percentile(counts, 0.50)
        row[f"{kind}_p99_ms"] = percentile(counts, 0.99)
        row[f"{kind}_max_ms"] = round(top / 1000, 1)
    return row
alone = sections[3]
rounds = []
for i in range(0, len(alone), 8):
    rnd, first, jload, jline, jhist, rload, rline, rhist = alone[i:i + 8]
    (_, jd), = rows([jline])
    (_, rd), = rows([rline])
    rounds.append({"round": rnd, "first": first,
                   "java": (jload.split("=", 1)[1].split("/"), jd, read_hist(jhist)),
                   "rust": (rload.split("=", 1)[1].split("/"), rd, read_hist(rhist))})
# A round in which a consumer did not measure live delivery (is_live) is left out of the
# pooled figures and the median.
counted = [r for r in rounds if is_live(r["java"][1]) and is_live(r["rust"][1])]
left_out = [r["round"] for r in rounds if r not in counted]
def load_text(who):
    return "; ".join(f"{' '.join(r[who][0][:3])} / {' '.join(r[who][0][3:])}" for r in counted)
solo = None
if counted:
    print(f"\nThe same live traffic, each consumer alone (Java, and the SDK on one thread; each "
          f"on its own topic, so not the same messages), {len(counted)} rounds in alternating "
          f"order, pooled (all rounds' histograms merged; load average before/after, Java runs: "
          f"{load_text('java')}; SDK runs: {load_text('rust')}):\n")
    solo = [(who, pooled_row([r[who][1] for r in counted], merge([r[who][2] for r in counted])))
            for who in ("java", "rust")]
    table(solo)
    ratios(solo, True)
if left_out:
    print(f"\nLeft out (a consumer's B2C p50 over {LIVE_P50_MS:g} ms: it started on a backlog, "
          f"not live): round(s) {', '.join(left_out)}.")
print("\nRound by round, each consumer alone (first: which ran first in the round):\n")
print("| round | first | client | TPS | B2C avg ms | B2C p50 | B2C p99 | S2C p99 | CPU µs/msg | "
      "run-queue wait µs/run | load before | SDK/Java B2C p99 |")
print("|---" * 12 + "|")
per_round = []
for r in rounds:
    (_, jd, _), (_, rd, _) = r["java"], r["rust"]
    ratio = div(rd["b2c_p99_ms"], jd["b2c_p99_ms"])
    if ratio is not None and r in counted:
        per_round.append(ratio)
    for who in ("java", "rust"):
        load, d, _ = r[who]
        cell = ""
        if who == "rust":
            cell = f"{fmt(ratio)}{verdict(ratio, 0.5, False)}" if r in counted else "left out (not live)"
        print(f"| {r['round']} | {r['first']} | {who} | %g | %g | %g | %g | %g | %g | %g | {load[0]} | {cell} |"
              % (d["tps"], d["b2c_avg_ms"], d["b2c_p50_ms"], d["b2c_p99_ms"], d["s2c_p99_ms"],
                 d["cpu_us_per_msg"], d["runq_wait_us_per_run"]))
if per_round:
    ordered = sorted(per_round)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    print(f"\nSDK/Java B2C p99 alone: pooled {fmt(div(solo[1][1]['b2c_p99_ms'], solo[0][1]['b2c_p99_ms']))}, "
          f"median of the rounds {fmt(median)}{verdict(median, 0.5, False)} "
          f"(rounds: {', '.join(fmt(v) for v in per_round)})")
EOF
if [[ "$WIRE" == 1 ]]; then
  python3 - "$WORK/wire-live1.out" "$WORK/live1.txt" "$WORK/wire-alone-java.out" "$WORK/alone-java-1.out" \
    "$WORK/wire-alone-rust.out" "$WORK/alone-rust-1.out" <<'EOF'
import sys
def parse(line):
    name, *kv = line.split()
    return name, {k: float(v) for k, v in (p.split("=", 1) for p in kv)}
def lines(path):
    try:
        return [parse(l) for l in open(path) if "=" in l]
    except OSError:
        return []
cols = [("msgs", "msgs"), ("b2c_avg_ms", "B2C avg"), ("b2c_p50_ms", "B2C p50"),
        ("b2c_p99_ms", "B2C p99"), ("s2c_avg_ms", "S2C avg"), ("s2c_p99_ms", "S2C p99")]
print("\nDelivery to each consumer's socket (--wire: kernel receive time of every message; the "
      "floor for any client on this broker and machine) next to the listener's figures, ms. The "
      "capture starts about a second into the window and may drop packets under load, so it counts "
      "somewhat fewer messages:\n")
print("| round | consumer | measured at | " + " | ".join(h for _, h in cols) + " |")
print("|---" * (len(cols) + 3) + "|")
rounds = [("live 1, side by side", sys.argv[1], sys.argv[2]), ("Java alone, round 1", sys.argv[3], sys.argv[4]),
          ("SDK alone, round 1", sys.argv[5], sys.argv[6])]
for label, wire, listener in rounds:
    at_listener = dict(lines(listener))
    for name, d in lines(wire):
        who = name.replace("-wire", "")
        print(f"| {label} | {who} | socket | " + " | ".join("%g" % d.get(k, 0) for k, _ in cols) + " |")
        if who in at_listener:
            l = at_listener[who]
            print(f"| {label} | {who} | listener | " + " | ".join("%g" % l.get(k, 0) for k, _ in cols) + " |")
EOF
fi
