#!/usr/bin/env bash
# Producer benchmark, side by side against one Java broker (name server + broker from the
# cache of scripts/fetch-java.sh, started with scripts/java-cluster.sh on free ports):
# 16 senders, 128-byte messages, an 8-queue topic, sync sends, ROCKETMQ binary headers.
#
#   java-tool   org.apache.rocketmq.example.benchmark.Producer -w 16 -s 128 (the official
#               tool; its own TPS and average RT lines are kept as tool_tps/avg_ms)
#   java-sync   examples/bench/JavaSyncProducerBench.java: the same loop with one
#               DefaultMQProducer, recording every latency (p50/p99)
#   perf-tool   perf-tool producer (release build): the SDK Producer, same loop
#   java-sync-batch, perf-tool-batch
#               the same two with the client's automatic batching on (Java 5.x
#               setAutoBatch(true), perf-tool --auto-batch), each at its defaults; not in
#               the default list (java-sync-batch needs a 5.x client)
#
# Fairness: before anything is measured the broker is warmed up by an unmeasured run of
# the Java tool (--broker-warmup S, its JIT compiles the send path); then ROUNDS rounds run
# one client at a time, the order rotating each round. Every client is measured the same
# way, from outside, over the same window (WARMUP s after its launch, for DURATION s):
# messages = growth of the topic's max offsets (asked from the broker), client and broker
# CPU = utime+stime of their processes from /proc/<pid>/stat. So TPS, client µs/msg and
# broker µs/msg are comparable between clients; read/write system calls per message of
# client and broker come from /proc/<pid>/io (syscr/syscw), the broker's CPU per message by
# thread pool from /proc/<pid>/task (broker_threads_us, largest first). `ceiling` is what the
# machine could do if it ran nothing else: cores * 1e6 / (client + broker µs/msg); `host idle`
# (idle_pct) is the share of the machine's CPU time (/proc/stat, iowait included) nobody used
# over the window: a client well below its ceiling with idle cores is bound by the round
# trip of its 16 senders, not by CPU.
#
# Usage: examples/bench/producer-bench.sh [--version 4.9.8|5] [--duration S] [--warmup S]
#          [--rounds N] [--broker-warmup S] [--clients java-tool,java-sync,perf-tool]
# Defaults: 5, 20 s, 10 s, 2 rounds, 30 s, all three clients (~6 min).
# A/B: PERF_TOOL_ARGS="..." adds options to perf-tool's command line (e.g. "--connections 2").
# Needs: java (17), python3, cargo, getconf. Prints one line per run and a table of medians.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java"
VERSION=5
DURATION=20
WARMUP=10
ROUNDS=2
BROKER_WARMUP=30
CLIENTS=java-tool,java-sync,perf-tool
SENDERS=16
SIZE=128
TOPIC=BenchTopic8
# Each client keeps sending this long past the measured window, so the window's end
# never sees a client winding down.
TAIL=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) VERSION="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --broker-warmup) BROKER_WARMUP="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
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
CORES="$(nproc)"
IFS=, read -r -a CLIENT_LIST <<< "$CLIENTS"
for c in "${CLIENT_LIST[@]}"; do
  case "$c" in java-tool|java-sync|perf-tool|perf-tool-batch) ;;
    java-sync-batch) [[ "$LABEL" == 5* ]] || die "java-sync-batch needs a 5.x client" ;;
    *) die "unknown client '$c'" ;; esac
done
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
BROKER="127.0.0.1:$BROKER_PORT"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  "$ROOT/scripts/java-cluster.sh" stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log "building perf-tool and bench-probe (release)"
(cd "$ROOT" && cargo build --release -q -p perf-tool --bin perf-tool -p interop --bin bench-probe) \
  || die "build failed"
PROBE="$ROOT/target/release/bench-probe"
log "compiling JavaSyncProducerBench"
mkdir -p "$WORK/classes"
javac -nowarn -cp "$CP" -d "$WORK/classes" "$ROOT/examples/bench/JavaSyncProducerBench.java"

log "starting Java RocketMQ $LABEL (namesrv $NS, broker $BROKER)"
"$ROOT/scripts/java-cluster.sh" start "$VERSION" >&2
BROKER_PID="$(sed -n 2p "$JAVA_CLUSTER_DIR/pids")"
[[ -n "$BROKER_PID" ]] || die "no broker pid in $JAVA_CLUSTER_DIR/pids"
"$PROBE" create-topic "$BROKER" "$NS" "$TOPIC" 8 >&2 || die "cannot create $TOPIC"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# read and write system calls of a process so far: "reads,writes"
syscalls() { awk '$1 == "syscr:" { r = $2 } $1 == "syscw:" { w = $2 } END { print r "," w }' "/proc/$1/io"; }
now_ns() { date +%s%N; }
# CPU ticks (utime+stime) of each thread of a process: "name ticks" per line, digits in
# thread names replaced by '#' so that pools add up (NettyServerCodecThread_# ...).
thread_ticks() {
  python3 - "$1" <<'EOF'
import os, re, sys
pid = sys.argv[1]
for tid in os.listdir(f"/proc/{pid}/task"):
    try:
        stat = open(f"/proc/{pid}/task/{tid}/stat").read()
    except OSError:
        continue
    name = re.sub(r"\d+", "#", stat[stat.index("(") + 1:stat.rindex(")")]).replace(" ", "_")
    fields = stat[stat.rindex(")") + 2:].split()
    print(name, int(fields[11]) + int(fields[12]))
EOF
}
count() { "$PROBE" count "$BROKER" "$TOPIC" 8; }
# The whole machine's CPU ticks so far, "busy,idle": user to steal, idle counting iowait too
# (guest time is already part of user time).
host_ticks() { awk '$1 == "cpu" { b = 0; for (i = 2; i <= 9; i++) if (i != 5 && i != 6) b += $i; print b "," $5 + $6 }' /proc/stat; }

# Starts one client in the background, running for $1 s; sets CLIENT_PID.
launch() { # client run-seconds out-file
  case "$1" in
    java-tool)
      java "${OPENS[@]}" -Xms1g -Xmx1g -Duser.home="$WORK" -cp "$CP" \
        org.apache.rocketmq.example.benchmark.Producer -n "$NS" -t "$TOPIC" -w "$SENDERS" -s "$SIZE" \
        > "$3" 2>&1 < /dev/null &
      ;;
    java-sync|java-sync-batch)
      java "${OPENS[@]}" -Xms1g -Xmx1g -Duser.home="$WORK" -cp "$WORK/classes:$CP" \
        JavaSyncProducerBench "$NS" "$TOPIC" "$SENDERS" "$SIZE" "$(($2 - WARMUP))" "$WARMUP" \
        "$([[ "$1" == java-sync-batch ]] && echo autobatch || echo plain)" \
        > "$3" 2>/dev/null < /dev/null &
      ;;
    perf-tool|perf-tool-batch)
      # shellcheck disable=SC2086 # PERF_TOOL_ARGS is a list of options
      "$ROOT/target/release/perf-tool" producer -n "$NS" -t "$TOPIC" -w "$SENDERS" -s "$SIZE" \
        --warmup "$WARMUP" --duration "$(($2 - WARMUP))" --json "$3.json" ${PERF_TOOL_ARGS:-} \
        $([[ "$1" == perf-tool-batch ]] && echo --auto-batch) \
        > "$3" 2>&1 < /dev/null &
      ;;
  esac
  CLIENT_PID=$!
  PIDS+=("$CLIENT_PID")
}

# One measured run; prints "<client> key=value ...".
run_client() { # client round
  local client="$1" out="$WORK/$1-$2.out" m0 m1 t0 t1 c0 c1 b0 b1 cs0 cs1 bs0 bs1 h0 h1
  launch "$client" "$((WARMUP + DURATION + TAIL))" "$out"
  local pid="$CLIENT_PID"
  sleep "$WARMUP"
  kill -0 "$pid" 2>/dev/null || { tail -20 "$out" >&2; die "$client exited early"; }
  m0="$(count)"; t0="$(now_ns)"; c0="$(cpu_ticks "$pid")"; b0="$(cpu_ticks "$BROKER_PID")"
  cs0="$(syscalls "$pid")"; bs0="$(syscalls "$BROKER_PID")"; thread_ticks "$BROKER_PID" > "$WORK/threads0"
  h0="$(host_ticks)"
  sleep "$DURATION"
  h1="$(host_ticks)"
  m1="$(count)"; t1="$(now_ns)"; c1="$(cpu_ticks "$pid")"; b1="$(cpu_ticks "$BROKER_PID")"
  cs1="$(syscalls "$pid")"; bs1="$(syscalls "$BROKER_PID")"; thread_ticks "$BROKER_PID" > "$WORK/threads1"
  if [[ "$client" == java-tool ]]; then
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  python3 - "$client" "$out" "$m0" "$m1" "$t0" "$t1" "$c0" "$c1" "$b0" "$b1" "$CLK_TCK" "$CORES" \
    "$(cut -d' ' -f1 /proc/loadavg)" "$WARMUP" "$cs0" "$cs1" "$bs0" "$bs1" "$WORK/threads0" "$WORK/threads1" "$h0" "$h1" <<'EOF'
import json, re, sys
client, out = sys.argv[1], sys.argv[2]
m0, m1, t0, t1, c0, c1, b0, b1, tck, cores = map(int, sys.argv[3:13])
load, warmup = sys.argv[13], int(sys.argv[14])
(cr0, cw0), (cr1, cw1), (br0, bw0), (br1, bw1) = (map(int, a.split(",")) for a in sys.argv[15:19])
msgs, secs = m1 - m0, (t1 - t0) / 1e9
per = lambda a, b: (b - a) / msgs if msgs else float("nan")
client_us = (c1 - c0) / tck * 1e6 / msgs if msgs else float("nan")
broker_us = (b1 - b0) / tck * 1e6 / msgs if msgs else float("nan")
extra = {}
if client == "java-tool":
    tps, rt = [], []
    for line in open(out, errors="replace"):
        m = re.search(r"Send TPS: (\d+).*Average RT\(ms\):\s*([\d.]+)", line)
        if m:
            tps.append(int(m.group(1))); rt.append(float(m.group(2)))
    # Lines after the warm-up (each covers the previous ~10 s).
    tps, rt = tps[warmup // 10:], rt[warmup // 10:]
    if tps:
        extra = {"tool_tps": "%.0f" % (sum(tps) / len(tps)), "avg_ms": "%.3f" % (sum(rt) / len(rt))}
elif client.startswith("java-sync"):
    for line in open(out, errors="replace"):
        if line.startswith("java "):
            d = dict(p.split("=", 1) for p in line.split()[1:])
            extra = {k: d[k] for k in ("p50_ms", "p99_ms", "avg_ms", "failed")}
else:
    j = json.load(open(out + ".json"))
    s = j["latency_ms"]["send"]
    extra = {"p50_ms": "%.3f" % s["p50"], "p99_ms": "%.3f" % s["p99"], "avg_ms": "%.3f" % s["mean"],
             "failed": str(j["totals"]["failed"])}
total = client_us + broker_us
# Share of the machine's CPU time left idle over the window: what the client, the broker
# and everything else together did not use.
(hb0, hi0), (hb1, hi1) = (map(int, a.split(",")) for a in sys.argv[21:23])
idle = 100.0 * (hi1 - hi0) / ((hb1 - hb0) + (hi1 - hi0)) if (hb1 - hb0) + (hi1 - hi0) else float("nan")
# The broker's CPU per message by thread (pool), largest first: where it goes.
def threads(path):
    ticks = {}
    for line in open(path):
        name, n = line.rsplit(" ", 1)
        ticks[name] = ticks.get(name, 0) + int(n)
    return ticks
th0, th1 = threads(sys.argv[19]), threads(sys.argv[20])
by_thread = sorted(((th1[k] - th0.get(k, 0)) / tck * 1e6 / msgs, k) for k in th1 if msgs)
top = ",".join("%s:%.2f" % (k, us) for us, k in reversed(by_thread[-8:]) if us > 0)
print("%s msgs=%d tps=%.0f client_us=%.2f broker_us=%.2f ceiling=%.0f idle_pct=%.1f load=%s "
      "client_writes=%.3f client_reads=%.3f broker_writes=%.3f broker_reads=%.3f %s broker_threads_us=%s" % (
    client, msgs, msgs / secs, client_us, broker_us, cores * 1e6 / total if total else 0, idle, load,
    per(cw0, cw1), per(cr0, cr1), per(bw0, bw1), per(br0, br1),
    " ".join("%s=%s" % kv for kv in extra.items()), top))
EOF
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
if (( BROKER_WARMUP > 0 )); then
  log "broker warm-up: java-tool for $BROKER_WARMUP s, not measured"
  launch java-tool "$BROKER_WARMUP" "$WORK/warmup.out"
  sleep "$BROKER_WARMUP"
  kill -9 "$CLIENT_PID" 2>/dev/null || true
  wait "$CLIENT_PID" 2>/dev/null || true
fi

RESULTS="$WORK/results.txt"
: > "$RESULTS"
n="${#CLIENT_LIST[@]}"
for ((r = 0; r < ROUNDS; r++)); do
  for ((i = 0; i < n; i++)); do
    client="${CLIENT_LIST[$(((i + r) % n))]}"
    log "round $((r + 1))/$ROUNDS: $client ($WARMUP s warm-up + $DURATION s)"
    line="$(run_client "$client" "$r")"
    echo "round=$((r + 1)) $line" | tee -a "$RESULTS"
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$RESULTS" "$LABEL" "$CORES" "$LOAD_BEFORE" "$LOAD_AFTER" "$DURATION" "$WARMUP" "$BROKER_WARMUP" <<'EOF'
import statistics, sys
path, label, cores, before, after, duration, warmup, bw = sys.argv[1:9]
rows = {}
for line in open(path):
    _, client, *kv = line.split()
    rows.setdefault(client, []).append(dict(p.split("=", 1) for p in kv))
def med(client, key):
    vals = []
    for d in rows[client]:
        try:
            vals.append(float(d[key]))
        except (KeyError, ValueError):
            pass
    return statistics.median(vals) if vals else None
def fmt(v, digits):
    return "-" if v is None else f"{v:.{digits}f}"
print(f"\nJava broker {label}, 16 senders, 128-byte messages, 8 queues, sync; medians of "
      f"{len(next(iter(rows.values())))} rounds ({duration} s after {warmup} s warm-up, broker warmed "
      f"{bw} s first); {cores} cores; load average before {before}, after {after}\n")
print("| client | TPS | client CPU µs/msg | broker CPU µs/msg | ceiling TPS | host idle % | p50 ms | p99 ms "
      "| avg ms | client writes/msg | broker reads/msg |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for client in rows:
    print(f"| {client} | {fmt(med(client, 'tps'), 0)} | {fmt(med(client, 'client_us'), 2)} | "
          f"{fmt(med(client, 'broker_us'), 2)} | {fmt(med(client, 'ceiling'), 0)} | {fmt(med(client, 'idle_pct'), 1)} | "
          f"{fmt(med(client, 'p50_ms'), 3)} | {fmt(med(client, 'p99_ms'), 3)} | {fmt(med(client, 'avg_ms'), 3)} | "
          f"{fmt(med(client, 'client_writes'), 3)} | {fmt(med(client, 'broker_reads'), 3)} |")
if "java-tool" in rows and "perf-tool" in rows:
    jt, pt = med("java-tool", "tps"), med("perf-tool", "tps")
    jc, pc = med("java-tool", "client_us"), med("perf-tool", "client_us")
    print(f"\nperf-tool / java-tool: TPS {pt / jt:.2f}x, client CPU per message {pc / jc:.2f}")
# With automatic batching on both sides, and the SDK's batching against the plain Java tool.
for a, b in (("perf-tool-batch", "java-sync-batch"), ("perf-tool-batch", "java-tool")):
    if a in rows and b in rows:
        print(f"{a} / {b}: TPS {med(a, 'tps') / med(b, 'tps'):.2f}x, "
              f"client CPU per message {med(a, 'client_us') / med(b, 'client_us'):.2f}")
print("\nBroker CPU µs/msg by thread pool (median over rounds, largest first):")
for client in rows:
    pools = {}
    for d in rows[client]:
        for item in filter(None, d.get("broker_threads_us", "").split(",")):
            name, us = item.rsplit(":", 1)
            pools.setdefault(name, []).append(float(us))
    ranked = sorted(((statistics.median(v), k) for k, v in pools.items()), reverse=True)
    print(f"- {client}: " + ", ".join(f"{k} {us:.2f}" for us, k in ranked[:8]))
EOF
