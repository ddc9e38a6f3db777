#!/usr/bin/env bash
# perf-tool producer against Java's benchmark Producer (rocketmq-example, 5.x from the cache
# of scripts/fetch-java.sh), on the same broker, one client at a time, several rounds with
# the order alternating; first against the Java broker, then against broker-lite (release
# binary, its own process). Both clients run with the same flags: -w THREADS -s SIZE (sync
# sends, or -y true with --async), on an 8-queue topic.
#
#   java-tool   org.apache.rocketmq.example.benchmark.Producer -ri 1000: TPS and average RT
#               are the means of its lines over the measured window (each line covers the
#               previous ~9 s, so the first 9 lines after warm-up are skipped when more
#               exist); client CPU from /proc/<pid>/stat over the window. The tool prints
#               no percentiles: its p99 column is "n/a".
#   perf-tool   target/release/perf-tool producer --warmup W --duration D --json: TPS,
#               mean and p99 of the send latency, client CPU per message.
#
# Both: broker CPU per message over the client's measured window (utime+stime of the broker
# process from /proc, messages counted from the topic's max offsets), and the ceiling a
# 2-core-style machine would allow: cores * 1e6 / (client + broker µs per message).
#
# Prints one line per run and a markdown table of medians and ratios (perf-tool / Java).
# Usage: scripts/perf-compare.sh [--rounds N] [--duration S] [--warmup S] [--threads N]
#                                [--size B] [--async] [--only java|lite] [--keep]
# Defaults: 3 rounds, 15 s measured after 10 s warm-up, 16 threads, 128 bytes (~6 min).
# Needs: java (17+), python3, cargo, getconf.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java"
ROUNDS=3
DURATION=15
WARMUP=10
THREADS=16
SIZE=128
ASYNC=false
ONLY=""
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --async) ASYNC=true; shift ;;
    --only) ONLY="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "perf-compare.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

die() { echo "perf-compare.sh: ERROR: $*" >&2; exit 1; }
log() { echo "perf-compare.sh: $*" >&2; }
# The Java tool prints its first line once it holds ten one-second snapshots.
(( WARMUP + DURATION >= 20 && DURATION >= 5 )) || die "need --warmup + --duration >= 20 s and --duration >= 5 s"
for tool in java python3 cargo getconf; do command -v "$tool" >/dev/null || die "'$tool' not found"; done
V5="$(grep '^5\.' "$CACHE/versions.txt" 2>/dev/null | head -1 || true)"
[[ -n "$V5" && -f "$CACHE/$V5/lib/.complete" ]] || die "Java 5.x not in the cache: run scripts/fetch-java.sh"
ls "$CACHE/$V5/lib"/rocketmq-example-*.jar >/dev/null 2>&1 || die "rocketmq-example missing from $CACHE/$V5/lib"
CP="$CACHE/$V5/lib/*"
CLK_TCK="$(getconf CLK_TCK)"
TOPIC="PerfCompare8"
OPENS=(--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED)

WORK="$(mktemp -d /tmp/perf-compare.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "$KEEP" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

log "building perf-tool and broker-lite (release)"
(cd "$ROOT" && cargo build --release -q -p perf-tool -p broker-lite -p interop --bin perf-tool \
  --bin broker-lite --bin bench-probe) || die "release build failed"
PROBE="$ROOT/target/release/bench-probe"
PERF="$ROOT/target/release/perf-tool"
LITE="$ROOT/target/release/broker-lite"

# A free loopback port (with p-2 and p+1 free too when $1 is "broker", as Java needs).
free_port() {
  python3 - "$1" <<'EOF'
import socket, sys
def free(p):
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", p)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    s = socket.socket(); s.bind(("0.0.0.0", 0)); p = s.getsockname()[1]; s.close()
    if sys.argv[1] != "broker" or (1026 < p < 65534 and free(p - 2) and free(p + 1)):
        print(p); break
EOF
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
count() { "$PROBE" count "$BROKER" "$TOPIC" 8; }
# Broker CPU µs per message between two "messages ticks" samples.
broker_us() { python3 -c 'import sys; m0, t0, m1, t1, tck = map(int, sys.argv[1:]); print("%.2f" % ((t1 - t0) / tck * 1e6 / (m1 - m0)) if m1 > m0 else "n/a")' $1 $2 "$CLK_TCK"; }
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

wait_for_line() { # file pattern pid seconds
  local i
  for ((i = 0; i < $4 * 10; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { tail -20 "$1" >&2; die "process $3 exited before '$2'"; }
    sleep 0.1
  done
  tail -20 "$1" >&2; die "timed out waiting for '$2' in $1"
}

mqadmin() { # namesrv args...
  local ns="$1"; shift
  ROCKETMQ_HOME="$WORK/java/home" java "${OPENS[@]}" -Xmx256m -Duser.home="$WORK/java" -cp "$CP" \
    org.apache.rocketmq.tools.command.MQAdminStartup "$@" -n "$ns"
}

# Creates the topic on the broker and waits until the name server routes it.
make_topic() { # namesrv broker-addr
  mqadmin "$1" updateTopic -b "$2" -t "$TOPIC" -r 8 -w 8 > "$WORK/topic.log" 2>&1 \
    || { cat "$WORK/topic.log" >&2; die "cannot create $TOPIC on $2"; }
  for _ in $(seq 1 60); do
    mqadmin "$1" topicRoute -t "$TOPIC" 2>/dev/null | grep -q brokerName && return 0
    sleep 1
  done
  die "no route to $TOPIC"
}

start_java() { # sets NS, BROKER_PIDS
  local dir="$WORK/java" ns_port broker_port
  mkdir -p "$dir/home/conf" "$dir/store"
  for name in namesrv broker tools; do
    cat > "$dir/home/conf/logback_$name.xml" <<EOF
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$dir/logs/$name.log</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5p [%t] %c{0} - %m%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
EOF
  done
  ns_port="$(free_port plain)"; broker_port="$(free_port broker)"
  echo "listenPort=$ns_port" > "$dir/namesrv.properties"
  cat > "$dir/broker.conf" <<EOF
brokerClusterName=PerfCluster
brokerName=perf-java
brokerId=0
brokerIP1=127.0.0.1
listenPort=$broker_port
namesrvAddr=127.0.0.1:$ns_port
autoCreateTopicEnable=true
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
storePathRootDir=$dir/store
storePathCommitLog=$dir/store/commitlog
diskMaxUsedSpaceRatio=95
EOF
  log "java: starting the Java $V5 name server and broker"
  ROCKETMQ_HOME="$dir/home" java "${OPENS[@]}" -Xms256m -Xmx512m -Duser.home="$dir" -cp "$CP" \
    org.apache.rocketmq.namesrv.NamesrvStartup -c "$dir/namesrv.properties" > "$dir/namesrv.out" 2>&1 < /dev/null &
  local npid=$!
  PIDS+=("$npid")
  wait_for_line "$dir/namesrv.out" "boot success" "$npid" 90
  ROCKETMQ_HOME="$dir/home" java "${OPENS[@]}" -Xms1g -Xmx1g -XX:MaxDirectMemorySize=1g -Duser.home="$dir" -cp "$CP" \
    org.apache.rocketmq.broker.BrokerStartup -c "$dir/broker.conf" > "$dir/broker.out" 2>&1 < /dev/null &
  local bpid=$!
  PIDS+=("$bpid")
  wait_for_line "$dir/broker.out" "boot success" "$bpid" 120
  NS="127.0.0.1:$ns_port"
  BROKER="127.0.0.1:$broker_port"
  BROKER_PIDS="$bpid $npid"
  BROKER_PID="$bpid"
}

start_lite() { # sets NS, BROKER_PIDS
  local dir="$WORK/lite" ns_port broker_port
  mkdir -p "$dir" "$WORK/java/home"
  ns_port="$(free_port plain)"; broker_port="$(free_port plain)"
  cat > "$dir/broker-lite.toml" <<EOF
[namesrv]
listen = "127.0.0.1:$ns_port"

[broker]
listen = "127.0.0.1:$broker_port"
namesrv_addrs = ["127.0.0.1:$ns_port"]
broker_name = "perf-lite"

[broker.store]
dir = "$dir/store"
EOF
  log "lite: starting broker-lite (name server + broker)"
  RUST_LOG=warn "$LITE" all --config "$dir/broker-lite.toml" > "$dir/broker-lite.log" 2>&1 < /dev/null &
  local pid=$!
  PIDS+=("$pid")
  NS="127.0.0.1:$ns_port"
  BROKER="127.0.0.1:$broker_port"
  BROKER_PIDS="$pid"
  BROKER_PID="$pid"
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { tail -20 "$dir/broker-lite.log" >&2; die "broker-lite exited"; }
    sleep 0.1
  done
  die "broker-lite did not open its port"
}

# One run of the Java tool; prints "java-tool key=value ...".
run_java_tool() { # label round
  local out="$WORK/$1-java-$2.log" pid c0 c1 l0
  local extra=()
  [[ "$ASYNC" == true ]] && extra=(-y true)
  java "${OPENS[@]}" -Xms1g -Xmx1g -Duser.home="$WORK/client-home" -cp "$CP" \
    org.apache.rocketmq.example.benchmark.Producer -n "$NS" -t "$TOPIC" -w "$THREADS" -s "$SIZE" \
    -ri 1000 "${extra[@]}" > "$out" 2>&1 < /dev/null &
  pid=$!
  PIDS+=("$pid")
  sleep "$WARMUP"
  c0="$(cpu_ticks "$pid")"; l0="$(wc -l < "$out")"; local b0="$(count) $(cpu_ticks "$BROKER_PID")"
  sleep "$DURATION"
  c1="$(cpu_ticks "$pid")"; local b1="$(count) $(cpu_ticks "$BROKER_PID")"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  tail -n +"$((l0 + 1))" "$out" | python3 -c '
import re, sys
tps, rt = [], []
for line in sys.stdin:
    m = re.search(r"Send TPS: (\d+).*Average RT\(ms\):\s*([\d.]+)", line)
    if m:
        tps.append(int(m.group(1))); rt.append(float(m.group(2)))
if len(tps) > 9:
    tps, rt = tps[9:], rt[9:]
cpu = (int(sys.argv[1]) - int(sys.argv[2])) / int(sys.argv[3])
t = sum(tps) / len(tps) if tps else 0
msgs = t * float(sys.argv[4])
print("java-tool tps=%.0f avg_ms=%.3f p99_ms=n/a cpu_us_per_msg=%s lines=%d broker_us_per_msg=%s"
      % (t, sum(rt) / len(rt) if rt else 0, "%.2f" % (cpu * 1e6 / msgs) if msgs else "n/a", len(tps),
         sys.argv[5]))
' "$c1" "$c0" "$CLK_TCK" "$DURATION" "$(broker_us "$b0" "$b1")"
}

# One run of perf-tool; prints "perf-tool key=value ...".
run_perf_tool() { # label round
  local json="$WORK/$1-perf-$2.json" pid b0 b1
  "$PERF" producer -n "$NS" -t "$TOPIC" -w "$THREADS" -s "$SIZE" -y "$ASYNC" \
    --warmup "$WARMUP" --duration "$DURATION" --json "$json" > "$WORK/$1-perf-$2.log" 2>&1 < /dev/null &
  pid=$!
  PIDS+=("$pid")
  # The broker's share over (about) perf-tool's own measured window; the window starts
  # after perf-tool's connect, so it is sampled a second later and ends a second early.
  sleep "$((WARMUP + 1))"
  b0="$(count) $(cpu_ticks "$BROKER_PID")"
  sleep "$((DURATION - 2))"
  b1="$(count) $(cpu_ticks "$BROKER_PID")"
  wait "$pid" || { tail -20 "$WORK/$1-perf-$2.log" >&2; die "perf-tool failed"; }
  python3 - "$json" "$(broker_us "$b0" "$b1")" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["latency_ms"]["send"]
print("perf-tool tps=%.0f avg_ms=%.3f p99_ms=%.3f cpu_us_per_msg=%.2f failed=%d broker_us_per_msg=%s"
      % (j["rates_per_s"]["acknowledged"], s["mean"], s["p99"], j["cpu"]["us_per_msg"], j["totals"]["failed"],
         sys.argv[2]))
EOF
}

RESULTS="$WORK/results.txt"
: > "$RESULTS"
mkdir -p "$WORK/client-home"

bench() { # label
  local label="$1" r line
  make_topic "$NS" "$BROKER"
  for ((r = 1; r <= ROUNDS; r++)); do
    local order=(java perf)
    (( r % 2 == 0 )) && order=(perf java)
    for who in "${order[@]}"; do
      log "$label: round $r/$ROUNDS, $who (${WARMUP}s warm-up + ${DURATION}s)"
      if [[ "$who" == java ]]; then line="$(run_java_tool "$label" "$r")"; else line="$(run_perf_tool "$label" "$r")"; fi
      echo "$label round=$r $line" | tee -a "$RESULTS" >&2
    done
  done
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "$ONLY" != lite ]]; then
  start_java
  bench java-broker
  for pid in $BROKER_PIDS; do stop_pid "$pid"; done
fi
if [[ "$ONLY" != java ]]; then
  start_lite
  bench broker-lite
  for pid in $BROKER_PIDS; do stop_pid "$pid"; done
fi
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$RESULTS" <<EOF
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    broker, rnd, client, *kv = line.split()
    d = dict(p.split("=", 1) for p in kv)
    rows.setdefault((broker, client), []).append(d)
def med(broker, client, key):
    vals = []
    for d in rows.get((broker, client), []):
        try:
            vals.append(float(d[key]))
        except (KeyError, ValueError):
            pass
    return statistics.median(vals) if vals else None
def fmt(v, digits=0):
    return "n/a" if v is None else (f"{v:.{digits}f}")
def ratio(a, b):
    return "n/a" if a is None or b in (None, 0) else f"{a / b:.2f}"
mode = "async (-y true)" if "$ASYNC" == "true" else "sync"
print()
print(f"perf-tool producer vs Java {'$V5'} benchmark Producer: {mode}, -w $THREADS -s $SIZE, 8-queue topic, "
      f"$ROUNDS rounds alternating, ${DURATION} s measured after ${WARMUP} s warm-up, medians; "
      f"$(nproc) cores, $(uname -r); load average before $LOAD_BEFORE, after $LOAD_AFTER")
print()
print("| broker | metric | Java Producer | perf-tool | perf-tool / Java |")
print("|---|---|---|---|---|")
for broker in ("java-broker", "broker-lite"):
    if not any(b == broker for b, _ in rows):
        continue
    for key, name, digits in (("tps", "send TPS", 0), ("avg_ms", "average RT (ms)", 3),
                              ("p99_ms", "p99 RT (ms)", 3), ("cpu_us_per_msg", "client CPU (µs/msg)", 2),
                              ("broker_us_per_msg", "broker CPU (µs/msg)", 2)):
        j, p = med(broker, "java-tool", key), med(broker, "perf-tool", key)
        print(f"| {broker} | {name} | {fmt(j, digits)} | {fmt(p, digits)} | {ratio(p, j)} |")
    ceil = {}
    for client in ("java-tool", "perf-tool"):
        c, b = med(broker, client, "cpu_us_per_msg"), med(broker, client, "broker_us_per_msg")
        ceil[client] = None if c is None or b is None else $(nproc) * 1e6 / (c + b)
    print(f"| {broker} | ceiling TPS ($(nproc) cores / (client + broker CPU)) | {fmt(ceil['java-tool'])} | "
          f"{fmt(ceil['perf-tool'])} | {ratio(ceil['perf-tool'], ceil['java-tool'])} |")
EOF
