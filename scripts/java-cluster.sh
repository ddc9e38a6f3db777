#!/usr/bin/env bash
# Manual helper for developers: runs the real Java RocketMQ (name server + one broker) from
# the cache filled by scripts/fetch-java.sh, in the background, on loopback.
#
#   scripts/java-cluster.sh start [4.9.8|5]   start (default 4.9.8); prints the addresses
#   scripts/java-cluster.sh stop              stop what 'start' started (by PID) and clean up
#   scripts/java-cluster.sh status            show PIDs and addresses
#   scripts/java-cluster.sh admin ARGS...     run the Java mqadmin against it
#
# Ports: NAMESRV_PORT (default 9876) and BROKER_PORT (default 10911; BROKER_PORT-2 and
# BROKER_PORT+1 must be free too). State lives in ${JAVA_CLUSTER_DIR:-/tmp/rocketmq-rs-java-cluster}.
# Tests do not use this script: they use the interop crate's JavaCluster (free ports, temp dirs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java"
STATE="${JAVA_CLUSTER_DIR:-/tmp/rocketmq-rs-java-cluster}"
NAMESRV_PORT="${NAMESRV_PORT:-9876}"
BROKER_PORT="${BROKER_PORT:-10911}"
OPENS=(--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED)

die() { echo "java-cluster.sh: $*" >&2; exit 1; }

resolve_version() {
  case "${1:-4.9.8}" in
    4.9.8|4) echo "4.9.8" ;;
    5|5.*) grep '^5\.' "$CACHE/versions.txt" 2>/dev/null | head -1 || true ;;
    *) die "unknown version '$1' (use 4.9.8 or 5)" ;;
  esac
}

wait_for() { # file marker pid
  for _ in $(seq 1 600); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { tail -20 "$1" >&2; die "process $3 exited before '$2'"; }
    sleep 0.1
  done
  tail -20 "$1" >&2; die "timed out waiting for '$2' in $1"
}

start() {
  local version; version="$(resolve_version "${1:-}")"
  [[ -n "$version" && -f "$CACHE/$version/lib/.complete" ]] || die "Java RocketMQ not cached: run scripts/fetch-java.sh"
  [[ -f "$STATE/pids" ]] && die "already running (scripts/java-cluster.sh stop first)"
  mkdir -p "$STATE/home/conf" "$STATE/store"
  for name in namesrv broker tools; do
    cat > "$STATE/home/conf/logback_$name.xml" <<EOF
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$STATE/logs/$name.log</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5p [%t] %c{0} - %m%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
EOF
  done
  echo "listenPort=$NAMESRV_PORT" > "$STATE/namesrv.properties"
  cat > "$STATE/broker.conf" <<EOF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerIP1=127.0.0.1
listenPort=$BROKER_PORT
namesrvAddr=127.0.0.1:$NAMESRV_PORT
autoCreateTopicEnable=true
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
storePathRootDir=$STATE/store
storePathCommitLog=$STATE/store/commitlog
EOF
  local cp="$CACHE/$version/classes:$CACHE/$version/lib/*"
  export ROCKETMQ_HOME="$STATE/home"
  java "${OPENS[@]}" -Xmx256m -Duser.home="$STATE" -cp "$cp" org.apache.rocketmq.namesrv.NamesrvStartup \
    -c "$STATE/namesrv.properties" > "$STATE/namesrv.out" 2>&1 < /dev/null &
  local npid=$!
  echo "$npid" > "$STATE/pids"
  wait_for "$STATE/namesrv.out" "boot success" "$npid"
  java "${OPENS[@]}" -Xms512m -Xmx512m -XX:MaxDirectMemorySize=512m -Duser.home="$STATE" -cp "$cp" \
    org.apache.rocketmq.broker.BrokerStartup -c "$STATE/broker.conf" > "$STATE/broker.out" 2>&1 < /dev/null &
  local bpid=$!
  echo "$bpid" >> "$STATE/pids"
  echo "$version" > "$STATE/version"
  wait_for "$STATE/broker.out" "boot success" "$bpid"
  echo "Java RocketMQ $version: namesrv 127.0.0.1:$NAMESRV_PORT (pid $npid), broker 127.0.0.1:$BROKER_PORT (pid $bpid)"
}

stop() {
  [[ -f "$STATE/pids" ]] || { echo "java-cluster.sh: nothing running"; return 0; }
  local pid
  while read -r pid; do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done < "$STATE/pids"
  rm -rf "$STATE"
  echo "java-cluster.sh: stopped"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  status) [[ -f "$STATE/pids" ]] && { echo "version $(cat "$STATE/version" 2>/dev/null)"; cat "$STATE/pids"; } || echo "not running" ;;
  admin)
    shift; version="$(cat "$STATE/version" 2>/dev/null)" || die "not running"
    ROCKETMQ_HOME="$STATE/home" java "${OPENS[@]}" -Xmx256m -Duser.home="$STATE" \
      -cp "$CACHE/$version/classes:$CACHE/$version/lib/*" org.apache.rocketmq.tools.command.MQAdminStartup "$@" \
      -n "127.0.0.1:$NAMESRV_PORT" ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
