#!/usr/bin/env bash
# The Sieve launcher: builds what it needs on first use (or after a source change), then runs the CLI.
set -euo pipefail
SIEVE_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLI_JAR="$SIEVE_HOME/cli/target/sieve-cli.jar"
REGISTRY_JAR="$SIEVE_HOME/registry/target/sieve-registry-runner.jar"

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"; else JAVA="java"; fi
if ! command -v "$JAVA" >/dev/null 2>&1; then
  echo "sieve: no Java found; install a JDK 17 or newer (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME" >&2
  exit 1
fi

stale() {
  [[ ! -f "$CLI_JAR" || ! -d "$SIEVE_HOME/cli/target/lib" || ! -f "$REGISTRY_JAR" ]] && return 0
  [[ -n "$(find "$SIEVE_HOME" -path "$SIEVE_HOME/.sieve" -prune -o \( -path '*/src/main/*' -o -name pom.xml \) \
      -newer "$CLI_JAR" -print -quit 2>/dev/null)" ]]
}

if [[ "${SIEVE_SKIP_BUILD:-}" != "1" ]] && stale; then
  echo "sieve: building (first use or changed sources; about a minute, output in .sieve/build.log) ..." >&2
  mkdir -p "$SIEVE_HOME/.sieve"
  if ! (cd "$SIEVE_HOME" && ./mvnw -B -q package -DskipTests -pl cli -am) >"$SIEVE_HOME/.sieve/build.log" 2>&1; then
    echo "sieve: the build failed; see $SIEVE_HOME/.sieve/build.log:" >&2
    tail -20 "$SIEVE_HOME/.sieve/build.log" >&2
    exit 1
  fi
fi

JVM_OPTS=(-Dsieve.home="$SIEVE_HOME" -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.sieve.schemas -Djava.awt.headless=true)
# Java 22+ warns about ONNX Runtime's native access unless it is granted explicitly.
if "$JAVA" --enable-native-access=ALL-UNNAMED -version >/dev/null 2>&1; then
  JVM_OPTS+=(--enable-native-access=ALL-UNNAMED)
fi
# -jar keeps java.class.path short (see cli/pom.xml for why that matters).
exec "$JAVA" "${JVM_OPTS[@]}" ${SIEVE_JAVA_OPTS:-} -jar "$CLI_JAR" "$@"
