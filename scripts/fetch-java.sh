#!/usr/bin/env bash
# Fetches the real Apache RocketMQ (Java) releases the interop tests run against,
# and compiles our small Java programs (interop/java/tools, interop/java/golden)
# against each of them. Everything goes into a cache OUTSIDE the repository:
#
#   ${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java/<version>/lib/*.jar      runtime jars
#   ${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java/<version>/classes/       our programs
#   ${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java/versions.txt             one version a line
#
# Usage: scripts/fetch-java.sh            fetch + compile (fast no-op when cached)
#        scripts/fetch-java.sh --golden   also regenerate sdk/tests/golden/<version>/
#
# Only Maven Central is used. 4.9.8's name server, broker, filter and example modules
# were never published there as jars, so for 4.9.8 the official source release
# (rocketmq-all-4.9.8-source-release.zip, which is on Central) is built for those
# modules and installed into the local Maven repository (~/.m2); every other 4.9.8
# module comes from Central as published.
#
# Environment: ROCKETMQ_RS_CACHE (cache root), ROCKETMQ_JAVA_V5 (the 5.x release,
# default below: the newest with namesrv, broker, client and tools all on Central).
set -euo pipefail

V4="4.9.8"
V5="${ROCKETMQ_JAVA_V5:-5.5.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA_DIR="$ROOT/interop/java"
CACHE="${ROCKETMQ_RS_CACHE:-$HOME/.cache/rocketmq-rs}/java"
GOLDEN=0

for arg in "$@"; do
  case "$arg" in
    --golden) GOLDEN=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "fetch-java.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

die() { echo "fetch-java.sh: ERROR: $*" >&2; exit 1; }
for tool in java javac mvn unzip sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH (need a JDK 17, Maven and unzip)"
done
mkdir -p "$CACHE"

MVN=(mvn -B -q -Dstyle.color=never -Dmaven.repo.local="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}")

# Builds 4.9.8's unpublished server modules from the official source release.
build_v4_servers() {
  local repo="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
  if [[ -f "$repo/org/apache/rocketmq/rocketmq-broker/$V4/rocketmq-broker-$V4.jar" &&
        -f "$repo/org/apache/rocketmq/rocketmq-namesrv/$V4/rocketmq-namesrv-$V4.jar" &&
        -f "$repo/org/apache/rocketmq/rocketmq-example/$V4/rocketmq-example-$V4.jar" ]]; then
    return 0
  fi
  echo "fetch-java.sh: building $V4 namesrv/broker/example from the source release (about a minute)"
  "${MVN[@]}" dependency:get -Dtransitive=false \
    -Dartifact="org.apache.rocketmq:rocketmq-all:$V4:zip:source-release" \
    || die "cannot fetch org.apache.rocketmq:rocketmq-all:$V4 source-release from Maven Central"
  local zip="$repo/org/apache/rocketmq/rocketmq-all/$V4/rocketmq-all-$V4-source-release.zip"
  local src="$CACHE/build"
  rm -rf "$src" && mkdir -p "$src"
  unzip -q "$zip" -d "$src" || die "cannot unpack $zip"
  (cd "$src/rocketmq-all-$V4" &&
    "${MVN[@]}" -pl filter,namesrv,broker,openmessaging,example install \
      -Dmaven.test.skip=true -DskipTests -Dcheckstyle.skip -Drat.skip=true -Dspotbugs.skip \
      -Djacoco.skip=true -Dmaven.javadoc.skip=true -Dgpg.skip -Dmaven.source.skip=true) \
    || die "building the $V4 source release failed"
  rm -rf "$src"
}

# Copies one release's runtime jars into $CACHE/<version>/lib (atomically).
fetch_libs() {
  local version="$1" dest="$CACHE/$1"
  local marker="$dest/lib/.complete"
  if [[ -f "$marker" ]]; then return 0; fi
  if [[ "$version" == "$V4" ]]; then build_v4_servers; fi
  echo "fetch-java.sh: fetching Apache RocketMQ $version and its dependencies from Maven Central"
  local tmp="$dest/lib.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  "${MVN[@]}" -f "$JAVA_DIR/pom.xml" -Drocketmq.version="$version" -Pexample \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
    || die "cannot fetch Apache RocketMQ $version (namesrv, broker, client, tools, example) from Maven Central"
  for a in namesrv broker client tools; do
    [[ -f "$tmp/rocketmq-$a-$version.jar" ]] || die "rocketmq-$a-$version.jar missing after fetch"
  done
  rm -rf "$dest/lib" && mv "$tmp" "$dest/lib"
  touch "$marker"
}

# The Java sources for one version, with the package prefixes that moved in 5.x
# substituted (4.9.8 keeps protocol classes under org.apache.rocketmq.common.protocol,
# 5.x under org.apache.rocketmq.remoting.protocol).
prepare_sources() {
  local version="$1" out="$2"
  local proto sub admin dv
  if [[ "$version" == 4.* ]]; then
    proto="org.apache.rocketmq.common.protocol"; sub="org.apache.rocketmq.common.subscription"
    admin="org.apache.rocketmq.common.admin"; dv="org.apache.rocketmq.common"
  else
    proto="org.apache.rocketmq.remoting.protocol"; sub="org.apache.rocketmq.remoting.protocol.subscription"
    admin="org.apache.rocketmq.remoting.protocol.admin"; dv="org.apache.rocketmq.remoting.protocol"
  fi
  rm -rf "$out" && mkdir -p "$out"
  local f rel
  while IFS= read -r f; do
    rel="${f#"$JAVA_DIR"/}"
    mkdir -p "$out/$(dirname "$rel")"
    sed -e "s/@PROTO@/$proto/g" -e "s/@SUBSCRIPTION@/$sub/g" -e "s/@ADMIN@/$admin/g" \
        -e "s/@DATAVERSION@/$dv/g" -e "s/@VERSION@/$version/g" "$f" > "$out/$rel"
  done < <(find "$JAVA_DIR/tools" "$JAVA_DIR/golden" -name '*.java' | sort)
}

# Compiles interop/java/{tools,golden} against one version into $CACHE/<version>/classes.
compile_programs() {
  local version="$1" dest="$CACHE/$1"
  local hash
  hash="$( (cat "$0"; find "$JAVA_DIR/tools" "$JAVA_DIR/golden" -name '*.java' | sort | xargs cat) | sha256sum | cut -d' ' -f1)"
  if [[ -f "$dest/classes/.hash" && "$(cat "$dest/classes/.hash")" == "$hash" ]]; then return 0; fi
  echo "fetch-java.sh: compiling interop Java programs against $version"
  local src="$dest/src" tmp="$dest/classes.tmp"
  prepare_sources "$version" "$src"
  rm -rf "$tmp" && mkdir -p "$tmp"
  find "$src" -name '*.java' > "$dest/sources.txt"
  javac -nowarn -encoding UTF-8 -cp "$dest/lib/*" -d "$tmp" @"$dest/sources.txt" 2> "$dest/javac.log" \
    || { cat "$dest/javac.log" >&2; die "javac failed for $version (see above)"; }
  echo "$hash" > "$tmp/.hash"
  rm -rf "$dest/classes" && mv "$tmp" "$dest/classes"
}

start=$(date +%s)
for version in "$V4" "$V5"; do
  fetch_libs "$version"
  compile_programs "$version"
done
printf '%s\n%s\n' "$V4" "$V5" > "$CACHE/versions.txt"
echo "fetch-java.sh: ready in $CACHE (versions: $V4, $V5; 5.x resolved to $V5; $(( $(date +%s) - start )) s)"

if [[ "$GOLDEN" == 1 ]]; then
  for version in "$V4" "$V5"; do
    out="$ROOT/sdk/tests/golden/$version"
    rm -rf "$out" && mkdir -p "$out"
    java -Xmx256m -cp "$CACHE/$version/classes:$CACHE/$version/lib/*" \
      rocketmqrs.golden.GenerateGolden "$version" "$out" > "$CACHE/$version/golden.log" 2>&1 \
      || { tail -40 "$CACHE/$version/golden.log" >&2; die "golden vector generation failed for $version"; }
    echo "fetch-java.sh: wrote $(ls "$out" | wc -l) files to sdk/tests/golden/$version"
  done
fi
