#!/usr/bin/env bash
# Benchmarks broker-lite (release build) against the Java broker (5.x from the cache of
# scripts/fetch-java.sh), one after the other on this machine, with the Java benchmark tools
# of rocketmq-example (org.apache.rocketmq.example.benchmark.Producer / Consumer, 5.x):
# 16 threads, 128-byte messages, an 8-queue topic created first.
#
# For each broker:
#   start-up    process spawn -> broker port accepting, -> first request answered
#               (GET_BROKER_RUNTIME_INFO), and -> listed in the name server's cluster info
#               ("registered"); broker-lite runs its own name server in the same process,
#               the Java broker registers with a Java name server started before it (not
#               timed). Both start from the page cache (see PROBE below).
#   phase A     Producer alone for DURATION s (after WARMUP s): send TPS counted by the
#               broker (sum of queue max offsets before/after), the tool's TPS and
#               average/max RT lines, broker CPU (utime+stime from /proc/<pid>/stat) per
#               message and its kernel part (stime: system calls, wake-ups, and the
#               loopback delivery of what it writes), the Producer's own CPU per message
#               (client and broker share the cores, so the client's CPU bounds the TPS),
#               and the broker's write-type system calls per message (/proc/<pid>/io
#               syscw: responses written plus store writes; Java writes its commit log
#               through mmap)
#   phase B     Consumer (new group) + Producer together for DURATION s on a second 8-queue
#               topic (so there is no backlog from phase A): the tool's consume
#               TPS and RT lines, broker CPU per message produced (each is also consumed)
#               and its kernel part, the Producer's and the Consumer's CPU per message,
#               and the Consumer's read-type system calls per message (/proc/<pid>/io syscr: about one per
#               pull answer received, so a low figure means many messages per pull)
#   memory      VmHWM (peak RSS) and VmRSS of the broker process at the end
#   idle        in both phases, the share of the machine's CPU time (/proc/stat, iowait
#               included) that nobody used: with idle cores left, the 16 synchronous
#               senders are bound by their round trip rather than by CPU
# Then prints a markdown table with the ratios broker-lite / Java.
#
# Usage: scripts/bench-broker.sh [--duration S] [--warmup S] [--only lite|java]
#                               [--phases AB|A|B] [--rounds N] [--keep]
#   --rounds N runs both brokers N times, alternating which goes first (broker-lite first
#   in odd rounds), each round on fresh stores, and prints each round's table and then
#   one of the medians over the rounds (with the ratios of the medians, and the range of
#   the rounds' own ratios for the TPS rows): the host's speed drifts by tens of percent
#   within minutes, and interleaved rounds keep one drift from deciding the ratio.
#   --phases runs only phase A or only phase B (default: both). Phase A also warms up the
#   Java broker's JIT: without it the Java broker is far slower in phase B, so B alone only
#   serves to compare broker-lite builds.
#   --keep leaves the scratch directory (logs, stores) for inspection.
# A/B: BROKER_LITE_BIN=<binary> runs another broker-lite build, BROKER_LITE_ARGS="..."
#   adds options to its command line (e.g. "--threads 2").
# Needs: scripts/fetch-java.sh done (Java 5.x + rocketmq-example in the cache), python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java"
DURATION=30
WARMUP=10
ONLY=""
PHASES=AB
ROUNDS=1
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --phases) PHASES="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    -h|--help) sed -n '2,47p' "$0"; exit 0 ;;
    *) echo "bench-broker.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case "$PHASES" in AB|A|B) ;; *) echo "bench-broker.sh: --phases takes AB, A or B" >&2; exit 2 ;; esac
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-broker.sh: --rounds takes a positive number" >&2; exit 2; }

die() { echo "bench-broker.sh: ERROR: $*" >&2; exit 1; }
log() { echo "bench-broker.sh: $*" >&2; }
V5="$(grep '^5\.' "$CACHE/versions.txt" 2>/dev/null | head -1 || true)"
[[ -n "$V5" && -f "$CACHE/$V5/lib/.complete" ]] || die "Java 5.x not in the cache: run scripts/fetch-java.sh"
ls "$CACHE/$V5/lib"/rocketmq-example-*.jar >/dev/null 2>&1 || die "rocketmq-example missing from $CACHE/$V5/lib"
for tool in java python3 getconf cargo; do command -v "$tool" >/dev/null || die "'$tool' not found"; done

WORK="$(mktemp -d /tmp/rocketmq-bench.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "$KEEP" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

BUILD=(-p interop --bin bench-probe)
[[ "$ONLY" == "java" || -n "${BROKER_LITE_BIN:-}" ]] || BUILD+=(-p broker-lite --bin broker-lite)
log "building ${BUILD[*]} (release)"
(cd "$ROOT" && cargo build --release -q "${BUILD[@]}") || die "release build failed"
# BROKER_LITE_BIN runs another broker-lite build (A/B comparisons); default: this tree's.
LITE="${BROKER_LITE_BIN:-$ROOT/target/release/broker-lite}"
PROBE="$ROOT/target/release/bench-probe"
# Both brokers start from the page cache: the Java broker's JVM and jars are read by its
# name server, started (untimed) just before it; broker-lite's binary is read here.
[[ "$ONLY" == "java" ]] || cat "$LITE" > /dev/null
CLK_TCK="$(getconf CLK_TCK)"
TOPIC="BenchTopic8"
OPENS=(--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED)
CP="$CACHE/$V5/lib/*"

# A free port p (p-2 and p+1 also free when $1 is "broker", as the Java broker needs).
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
    if sys.argv[1] != "broker" or (p > 1026 and p < 65534 and free(p - 2) and free(p + 1)):
        print(p); break
EOF
}

now_ns() { date +%s%N; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sys_ticks() { awk '{print $15}' "/proc/$1/stat"; } # the kernel's part (stime)
# The whole machine's CPU ticks so far, "busy,idle": user to steal, idle counting iowait too
# (guest time is already part of user time).
host_ticks() { awk '$1 == "cpu" { b = 0; for (i = 2; i <= 9; i++) if (i != 5 && i != 6) b += $i; print b "," $5 + $6 }' /proc/stat; }
# Percent of the machine's CPU time left idle between two host_ticks readings.
idle_pct() { python3 -c "b0, i0 = $1; b1, i1 = $2; t = (b1 - b0) + (i1 - i0); print(round(100 * (i1 - i0) / t, 1) if t else 'n/a')"; }
# Write-type system calls so far (write, writev, pwrite; socket sendmsg is not counted).
syscw() { awk '/^syscw/ {print $2}' "/proc/$1/io"; }
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# Starts a Java tool in the background; its PID is left in LAST_PID.
java_tool() { # log-file main-class args...
  local out="$1" main="$2"; shift 2
  java "${OPENS[@]}" -Xms512m -Xmx512m -Duser.home="$WORK/client-home" -cp "$CP" "$main" "$@" \
    > "$out" 2>&1 < /dev/null &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Means of the "Send TPS" / "Average RT" fields and the max of "Max RT" over a tool log.
parse_producer() {
  awk -F'|' '/Send TPS:/ {
      for (i = 1; i <= NF; i++) {
        if ($i ~ /Send TPS:/) { split($i, a, ":"); tps += a[2] }
        if ($i ~ /Max RT/) { split($i, a, ":"); if (a[2] + 0 > mx) mx = a[2] + 0 }
        if ($i ~ /Average RT/) { split($i, a, ":"); rt += a[2] }
      }
      n++
    }
    END { if (n) printf "%.0f %.3f %d %d\n", tps / n, rt / n, mx, n; else print "0 0 0 0" }' "$1"
}

parse_consumer() {
  awk -F'|' '/Consume TPS:/ {
      for (i = 1; i <= NF; i++) {
        if ($i ~ /Consume TPS:/) { split($i, a, ":"); tps += a[2] }
        if ($i ~ /AVG\(B2C\)/) { split($i, a, ":"); rt += a[2] }
        if ($i ~ /MAX\(B2C\)/) { split($i, a, ":"); if (a[2] + 0 > mx) mx = a[2] + 0 }
      }
      n++
    }
    END { if (n) printf "%.0f %.3f %d %d\n", tps / n, rt / n, mx, n; else print "0 0 0 0" }' "$1"
}

wait_for_line() { # file pattern pid seconds
  local i
  for ((i = 0; i < $4 * 10; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { tail -20 "$1" >&2; die "process $3 exited before '$2'"; }
    sleep 0.1
  done
  tail -20 "$1" >&2; die "timed out waiting for '$2' in $1"
}

declare -A R

# Runs both phases against the broker at $2 (name server $3, process $4), results under
# key prefix $1.
run_phases() {
  local k="$1" broker="$2" ns="$3" pid="$4"
  # Phase B has a topic of its own, so its consumer finds no backlog from phase A.
  local topic_b="${TOPIC}B"
  "$PROBE" create-topic "$broker" "$ns" "$TOPIC" 8 >&2 || die "$k: cannot create $TOPIC"
  "$PROBE" create-topic "$broker" "$ns" "$topic_b" 8 >&2 || die "$k: cannot create $topic_b"
  local c0 c1 t0 t1 u0 u1 p0 p1 q0 q1 r0 r1 h0 h1 prod cons

  if [[ "$PHASES" == *A* ]]; then
    log "$k: phase A, Producer alone (${WARMUP}s warm-up + ${DURATION}s)"
    java_tool "$WORK/$k-producer-a.log" org.apache.rocketmq.example.benchmark.Producer \
      -n "$ns" -t "$TOPIC" -w 16 -s 128 -ri 5000
    prod="$LAST_PID"
    sleep "$WARMUP"
    c0="$("$PROBE" count "$broker" "$TOPIC" 8)"; t0="$(now_ns)"; u0="$(cpu_ticks "$pid")"; p0="$(cpu_ticks "$prod")"; w0="$(syscw "$pid")"
    k0="$(sys_ticks "$pid")"; h0="$(host_ticks)"
    sleep "$DURATION"
    h1="$(host_ticks)"
    c1="$("$PROBE" count "$broker" "$TOPIC" 8)"; t1="$(now_ns)"; u1="$(cpu_ticks "$pid")"; p1="$(cpu_ticks "$prod")"; w1="$(syscw "$pid")"
    k1="$(sys_ticks "$pid")"
    stop_pid "$prod"
    R[$k.a_idle]="$(idle_pct "$h0" "$h1")"
    R[$k.a_writes]="$(python3 -c "m = $c1 - $c0; print(round(($w1 - $w0) / m, 2) if m else 'n/a')")"
    R[$k.a_client_cpu_us]="$(python3 -c "m = $c1 - $c0; print(round(($p1 - $p0) / $CLK_TCK / m * 1e6, 2) if m else 'n/a')")"
    R[$k.a_msgs]=$((c1 - c0))
    R[$k.a_tps]="$(python3 -c "print(round(($c1 - $c0) / (($t1 - $t0) / 1e9)))")"
    R[$k.a_cpu_us]="$(python3 -c "m = $c1 - $c0; print(round(($u1 - $u0) / $CLK_TCK / m * 1e6, 2) if m else 'n/a')")"
    R[$k.a_sys_us]="$(python3 -c "m = $c1 - $c0; print(round(($k1 - $k0) / $CLK_TCK / m * 1e6, 2) if m else 'n/a')")"
    read -r R[$k.a_tool_tps] R[$k.a_avg_rt] R[$k.a_max_rt] R[$k.a_lines] < <(parse_producer "$WORK/$k-producer-a.log")
  fi

  if [[ "$PHASES" == *B* ]]; then
    log "$k: phase B, Consumer + Producer (${WARMUP}s warm-up + ${DURATION}s)"
    java_tool "$WORK/$k-consumer-b.log" org.apache.rocketmq.example.benchmark.Consumer \
      -n "$ns" -t "$topic_b" -w 16 -g "bench_consumer_$k" -ri 5000
    cons="$LAST_PID"
    wait_for_line "$WORK/$k-consumer-b.log" "Consumer Started" "$cons" 60
    java_tool "$WORK/$k-producer-b.log" org.apache.rocketmq.example.benchmark.Producer \
      -n "$ns" -t "$topic_b" -w 16 -s 128 -ri 5000
    prod="$LAST_PID"
    sleep "$WARMUP"
    c0="$("$PROBE" count "$broker" "$topic_b" 8)"; t0="$(now_ns)"; u0="$(cpu_ticks "$pid")"
    p0="$(cpu_ticks "$prod")"; q0="$(cpu_ticks "$cons")"; r0="$(awk '/^syscr/ {print $2}' "/proc/$cons/io")"
    k0="$(sys_ticks "$pid")"; h0="$(host_ticks)"
    sleep "$DURATION"
    h1="$(host_ticks)"
    c1="$("$PROBE" count "$broker" "$topic_b" 8)"; t1="$(now_ns)"; u1="$(cpu_ticks "$pid")"
    p1="$(cpu_ticks "$prod")"; q1="$(cpu_ticks "$cons")"; r1="$(awk '/^syscr/ {print $2}' "/proc/$cons/io")"
    k1="$(sys_ticks "$pid")"
    stop_pid "$prod"; stop_pid "$cons"
    R[$k.b_idle]="$(idle_pct "$h0" "$h1")"
    R[$k.b_prod_cpu_us]="$(python3 -c "m = $c1 - $c0; print(round(($p1 - $p0) / $CLK_TCK / m * 1e6, 2) if m else 'n/a')")"
    R[$k.b_cons_cpu_us]="$(python3 -c "m = $c1 - $c0; print(round(($q1 - $q0) / $CLK_TCK / m * 1e6, 2) if m else 'n/a')")"
    R[$k.b_cons_reads]="$(python3 -c "m = $c1 - $c0; print(round(($r1 - $r0) / m, 3) if m else 'n/a')")"
    R[$k.b_tps]="$(python3 -c "print(round(($c1 - $c0) / (($t1 - $t0) / 1e9)))")"
    R[$k.b_cpu_us]="$(python3 -c "m = $c1 - $c0; print(round(($u1 - $u0) / $CLK_TCK / m * 1e6, 2) if m else 'n/a')")"
    R[$k.b_sys_us]="$(python3 -c "m = $c1 - $c0; print(round(($k1 - $k0) / $CLK_TCK / m * 1e6, 2) if m else 'n/a')")"
    read -r R[$k.b_cons_tps] R[$k.b_b2c_rt] R[$k.b_b2c_max] R[$k.b_lines] < <(parse_consumer "$WORK/$k-consumer-b.log")
  fi
  R[$k.hwm_mib]="$(( $(status_kib "$pid" VmHWM) / 1024 ))"
  R[$k.rss_mib]="$(( $(status_kib "$pid" VmRSS) / 1024 ))"
}

# Start-up timing. The probes start first and poll every millisecond (their own start is
# not timed); then the broker is spawned and the probes report when its port accepts a
# connection, when it answers a request (a bound port can accept before the broker behind
# it serves) and when the name server lists it.
# PROBE_PID[what] is the probe of start_<what>_ms.
declare -A PROBE_PID
start_probes() { # key broker-addr namesrv-addr broker-name
  local k="$1" what
  for what in port serve reg; do
    case "$what" in
      port) "$PROBE" wait-port "$2" > "$WORK/$k-$what.ns" & ;;
      serve) "$PROBE" wait-serving "$2" > "$WORK/$k-$what.ns" & ;;
      reg) "$PROBE" wait-registered "$3" "$4" > "$WORK/$k-$what.ns" & ;;
    esac
    PROBE_PID[$what]=$!; PIDS+=($!)
  done
  sleep 0.5
}
time_start() { # key spawn-ns
  local k="$1" what
  for what in "${!PROBE_PID[@]}"; do
    wait "${PROBE_PID[$what]}" || die "$k: start-up probe '$what' failed"
    R[$k.start_${what}_ms]="$(python3 -c "print(round(($(cat "$WORK/$k-$what.ns") - $2) / 1e6, 1))")"
  done
}

bench_lite() {
  local ns_port broker_port dir="$WORK/round-$ROUND/lite"
  mkdir -p "$dir"
  ns_port="$(free_port plain)"; broker_port="$(free_port plain)"
  cat > "$dir/broker-lite.toml" <<EOF
[namesrv]
listen = "127.0.0.1:$ns_port"

[broker]
listen = "127.0.0.1:$broker_port"
namesrv_addrs = ["127.0.0.1:$ns_port"]
broker_name = "bench-lite"

[broker.store]
dir = "$dir/store"
EOF
  log "lite: starting broker-lite (name server + broker)"
  start_probes lite "127.0.0.1:$broker_port" "127.0.0.1:$ns_port" bench-lite
  local spawn; spawn="$(now_ns)"
  # shellcheck disable=SC2086 # BROKER_LITE_ARGS is a list of options
  RUST_LOG=warn "$LITE" all ${BROKER_LITE_ARGS:-} --config "$dir/broker-lite.toml" > "$dir/broker-lite.log" 2>&1 < /dev/null &
  local pid=$!
  PIDS+=("$pid")
  time_start lite "$spawn"
  run_phases lite "127.0.0.1:$broker_port" "127.0.0.1:$ns_port" "$pid"
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

bench_java() {
  local ns_port broker_port dir="$WORK/round-$ROUND/java"
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
brokerClusterName=BenchCluster
brokerName=bench-java
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
  export ROCKETMQ_HOME="$dir/home"
  log "java: starting the Java $V5 name server"
  java "${OPENS[@]}" -Xms256m -Xmx512m -Duser.home="$dir" -cp "$CP" org.apache.rocketmq.namesrv.NamesrvStartup \
    -c "$dir/namesrv.properties" > "$dir/namesrv.out" 2>&1 < /dev/null &
  local npid=$!
  PIDS+=("$npid")
  wait_for_line "$dir/namesrv.out" "boot success" "$npid" 60
  log "java: starting the Java $V5 broker"
  start_probes java "127.0.0.1:$broker_port" "127.0.0.1:$ns_port" bench-java
  local spawn; spawn="$(now_ns)"
  java "${OPENS[@]}" -Xms1g -Xmx1g -XX:MaxDirectMemorySize=1g -Duser.home="$dir" -cp "$CP" \
    org.apache.rocketmq.broker.BrokerStartup -c "$dir/broker.conf" > "$dir/broker.out" 2>&1 < /dev/null &
  local pid=$!
  PIDS+=("$pid")
  time_start java "$spawn"
  run_phases java "127.0.0.1:$broker_port" "127.0.0.1:$ns_port" "$pid"
  stop_pid "$pid"; stop_pid "$npid"
}

mkdir -p "$WORK/client-home"

ratio() { python3 -c "
a, b = '$1', '$2'
try:
    print('%.2f' % (float(a) / float(b)))
except (ValueError, ZeroDivisionError):
    print('n/a')"; }
row() { # label key
  local l="${R[lite.$2]:-n/a}" j="${R[java.$2]:-n/a}"
  echo "| $1 | $l | $j | $(ratio "$l" "$j") |"
}

print_table() { # title
  echo
  echo "$1"
  echo
  echo "| metric | broker-lite | Java $V5 broker | broker-lite / Java |"
  echo "|---|---|---|---|"
  row "start-up: spawn to port accepting (ms)" start_port_ms
  row "start-up: spawn to first request answered (ms)" start_serve_ms
  row "start-up: spawn to registered in name server (ms)" start_reg_ms
  row "A: send TPS, counted by the broker (Producer alone)" a_tps
  row "A: send TPS, tool's mean of 10-s windows" a_tool_tps
  row "A: send average RT (ms)" a_avg_rt
  row "A: send max RT (ms)" a_max_rt
  row "A: broker CPU per message (µs)" a_cpu_us
  row "A: of which in the kernel (µs)" a_sys_us
  row "A: Producer (Java client) CPU per message (µs)" a_client_cpu_us
  row "A: broker write/writev/pwrite calls per message" a_writes
  row "A: machine's CPU left idle (%)" a_idle
  row "B: send TPS with a consumer running, counted by the broker" b_tps
  row "B: consume TPS, tool's mean of 10-s windows" b_cons_tps
  row "B: consume average born-to-consume RT (ms)" b_b2c_rt
  row "B: consume max born-to-consume RT (ms)" b_b2c_max
  row "B: broker CPU per message produced and consumed (µs)" b_cpu_us
  row "B: of which in the kernel (µs)" b_sys_us
  row "B: Producer (Java client) CPU per message (µs)" b_prod_cpu_us
  row "B: Consumer (Java client) CPU per message (µs)" b_cons_cpu_us
  row "B: Consumer read calls per message" b_cons_reads
  row "B: machine's CPU left idle (%)" b_idle
  row "broker peak RSS, VmHWM (MiB)" hwm_mib
  row "broker RSS at the end, VmRSS (MiB)" rss_mib
}

# One round: both brokers (or the one --only names), broker-lite first in odd rounds.
# Sets ORDER to the brokers run, in the order they ran.
run_round() {
  R=()
  ORDER=()
  local b
  for b in lite java; do
    [[ "$ONLY" == "" || "$ONLY" == "$b" ]] && ORDER+=("$b")
  done
  if (( ROUND % 2 == 0 && ${#ORDER[@]} == 2 )); then ORDER=(java lite); fi
  for b in "${ORDER[@]}"; do "bench_$b"; done
  local key
  for key in "${!R[@]}"; do echo "$key ${R[$key]}"; done > "$WORK/round-$ROUND.values"
}

for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  mkdir -p "$WORK/round-$ROUND"
  (( ROUNDS == 1 )) || log "round $ROUND of $ROUNDS"
  LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
  run_round
  LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
  title="Benchmark: Java $V5 benchmark tools (16 threads, 128-byte messages, topic with 8 queues), ${DURATION} s per phase after ${WARMUP} s warm-up, $(nproc) cores, $(uname -r); load average before $LOAD_BEFORE, after $LOAD_AFTER (other work on the machine skews both columns)"
  (( ROUNDS == 1 )) || title="Round $ROUND of $ROUNDS (ran: ${ORDER[*]}). $title"
  print_table "$title

broker-lite: $LITE${BROKER_LITE_ARGS:+ $BROKER_LITE_ARGS}"
done

if (( ROUNDS > 1 )); then
  # Medians over the rounds (for an even count, the mean of the two middle values), and
  # each round's own TPS ratios.
  R=()
  while read -r key value; do
    R[$key]="$value"
  done < <(python3 - "$WORK" "$ROUNDS" <<'PY'
import statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
per_round = []
for r in range(1, rounds + 1):
    vals = {}
    with open(f"{work}/round-{r}.values") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(" ")
            vals[k] = v
    per_round.append(vals)
keys = sorted(set().union(*per_round))
for k in keys:
    nums = []
    for vals in per_round:
        try:
            nums.append(float(vals.get(k, "")))
        except ValueError:
            pass
    if nums:
        print(k, ("%.3f" % statistics.median(nums)).rstrip("0").rstrip("."))
for metric in ("a_tps", "b_tps"):
    ratios = []
    for vals in per_round:
        try:
            ratios.append("%.2f" % (float(vals[f"lite.{metric}"]) / float(vals[f"java.{metric}"])))
        except (KeyError, ValueError, ZeroDivisionError):
            pass
    if ratios:
        print(f"ratios.{metric}", ",".join(ratios))
PY
)
  print_table "Medians of $ROUNDS interleaved rounds (each cell the median of the rounds' values; the ratio column divides the medians). Rounds' own send TPS ratios: phase A ${R[ratios.a_tps]:-n/a}; phase B ${R[ratios.b_tps]:-n/a}.

broker-lite: $LITE${BROKER_LITE_ARGS:+ $BROKER_LITE_ARGS}"
fi
