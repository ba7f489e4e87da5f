# shellcheck shell=bash
# Kafka of the local stack: jars from Maven Central, one KRaft broker+controller on 127.0.0.1:9092.

# Newest 4.x whose whole dependency tree resolves from Maven Central (4.4.0 is listed in the
# metadata, but its kafka-tools-api is missing there).
KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
KAFKA_HOME="$STACK_CACHE/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_DATA="$KAFKA_HOME/data"
KAFKA_PROPS="$KAFKA_HOME/server.properties"
KAFKA_LOG="$STACK_LOGS/kafka.log"
KAFKA_PID="$STACK_CACHE/kafka.pid"
# Version and configuration the running broker was started with.
KAFKA_RUNNING="$STACK_CACHE/kafka.running"

# kafka_cmd — sets KAFKA_CMD to the java command line (heap and GC flags overridable as in Kafka's scripts).
kafka_cmd() {
  local heap perf
  read -ra heap <<<"${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}"
  read -ra perf <<<"${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent}"
  KAFKA_CMD=(java "${heap[@]}" "${perf[@]}" -Djava.awt.headless=true -Dkafka.logs.dir="$STACK_LOGS"
    -Dlog4j2.configurationFile="$STACK_DIR/kafka/log4j2.xml" -cp "$KAFKA_LIBS/*")
}

kafka_java() {
  kafka_cmd
  "${KAFKA_CMD[@]}" "$@"
}

# kafka_alive PID — PID is a live broker of this stack (not a zombie, not a recycled pid).
kafka_alive() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -qF " kafka.Kafka $STACK_CACHE/"; }

kafka_pid() {
  local pid
  [[ -f $KAFKA_PID ]] && pid=$(<"$KAFKA_PID") && [[ $pid =~ ^[0-9]+$ ]] && kafka_alive "$pid" && echo "$pid"
}

kafka_running() { kafka_pid >/dev/null && port_open "$KAFKA_PORT"; }

# The jars of KAFKA_VERSION, downloaded once into the cache (again only when pom.xml changes).
kafka_fetch() {
  local pom="$STACK_DIR/kafka/pom.xml" sum
  sum=$(cksum <"$pom")
  [[ -f $KAFKA_LIBS/.complete && $(<"$KAFKA_LIBS/.complete") == "$sum" ]] && return 0
  local log="$STACK_LOGS/kafka-mvn.log"
  say "kafka: fetching Apache Kafka $KAFKA_VERSION jars from Maven Central (log: $log)"
  rm -rf "$KAFKA_LIBS.partial"
  mvn -q -B -f "$pom" -Dkafka.version="$KAFKA_VERSION" \
    -Dkafka.libs="$KAFKA_LIBS.partial" dependency:copy-dependencies >"$log" 2>&1 ||
    fail kafka "$log" "could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION from Maven Central"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.partial" "$KAFKA_LIBS"
  echo "$sum" >"$KAFKA_LIBS/.complete"
}

# Renders the configuration; formats the storage once with a cluster id generated once.
kafka_prepare() {
  mkdir -p "$KAFKA_DATA"
  sed "s|@LOG_DIRS@|$KAFKA_DATA|" "$STACK_DIR/kafka/server.properties" >"$KAFKA_PROPS.new"
  mv "$KAFKA_PROPS.new" "$KAFKA_PROPS"
  [[ -f $KAFKA_DATA/meta.properties ]] && return 0
  local log="$STACK_LOGS/kafka-format.log" id
  if [[ ! -s $KAFKA_HOME/cluster-id ]]; then
    kafka_java kafka.tools.StorageTool random-uuid >"$KAFKA_HOME/cluster-id.new" 2>"$log" ||
      fail kafka "$log" "kafka-storage random-uuid failed"
    tail -n 1 "$KAFKA_HOME/cluster-id.new" >"$KAFKA_HOME/cluster-id"
    rm -f "$KAFKA_HOME/cluster-id.new"
  fi
  id=$(<"$KAFKA_HOME/cluster-id")
  [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || fail kafka "$log" "$KAFKA_HOME/cluster-id holds no cluster id: delete it and run up again"
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$KAFKA_PROPS" --ignore-formatted >"$log" 2>&1 ||
    fail kafka "$log" "formatting $KAFKA_DATA failed"
}

# kafka_start — launches the broker in the background; kafka_wait waits for it.
kafka_start() {
  local owner
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$port"; then
      owner=$(port_owner "$port")
      fail kafka "" "port $port is taken by another process (${owner:-unknown}); stop it, then run up again"
    fi
  done
  say "kafka: starting Apache Kafka $KAFKA_VERSION (log: $KAFKA_LOG)"
  [[ -f $KAFKA_LOG ]] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
  rm -f "$KAFKA_PID"
  # setsid: the broker outlives this shell and the terminal; the inner shell writes its own pid.
  # 9>&-: the broker must not inherit (and so keep holding) stack.sh's lock.
  kafka_cmd
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID" "${KAFKA_CMD[@]}" kafka.Kafka "$KAFKA_PROPS" \
    </dev/null >"$KAFKA_LOG" 2>&1 9>&- &
  KAFKA_STARTING=true
}

# kafka_wait — after kafka_start: waits until the broker says it started and takes connections.
kafka_wait() {
  ${KAFKA_STARTING:-false} || return 0
  local deadline=$((SECONDS + 90)) pid=""
  while ((SECONDS < deadline)); do
    sleep 0.5
    [[ -z $pid && -s $KAFKA_PID ]] && pid=$(<"$KAFKA_PID")
    if [[ -n $pid ]] && ! kafka_alive "$pid"; then
      rm -f "$KAFKA_PID"
      fail kafka "$KAFKA_LOG" "the broker exited during start-up"
    fi
    if grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null && port_open "$KAFKA_PORT"; then
      printf '%s\n' "$KAFKA_VERSION" "$(cksum <"$KAFKA_PROPS")" >"$KAFKA_RUNNING"
      KAFKA_STARTING=false
      return 0
    fi
  done
  fail kafka "$KAFKA_LOG" "not ready on 127.0.0.1:$KAFKA_PORT after 90 s (still running as pid ${pid:-?})"
}

kafka_gone() { ! kafka_alive "$1"; }

kafka_stop() {
  local pid
  pid=$(kafka_pid) || {
    rm -f "$KAFKA_PID" "$KAFKA_RUNNING"
    return 0
  }
  say "kafka: stopping pid $pid"
  kill -TERM "$pid"
  if ! wait_for 60 kafka_gone "$pid"; then
    warn "kafka: pid $pid still running after 60 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 10 kafka_gone "$pid" || fail kafka "$KAFKA_LOG" "pid $pid does not exit"
  fi
  rm -f "$KAFKA_PID" "$KAFKA_RUNNING"
}

kafka_up() {
  kafka_fetch
  kafka_prepare
  local wanted
  wanted=$(printf '%s\n' "$KAFKA_VERSION" "$(cksum <"$KAFKA_PROPS")")
  if kafka_running; then
    if [[ ! -f $KAFKA_RUNNING || $(<"$KAFKA_RUNNING") != "$wanted" ]]; then
      say "kafka: running with another version or configuration, restarting"
      kafka_stop
      kafka_start
      did kafka restarted
    fi
  else
    # A pid without a listening port is a broker that is starting, hung or stopping.
    kafka_stop
    kafka_start
    state_add kafka
    did kafka started
  fi
}

# kafka_ready — waits for a broker that kafka_up launched (the databases start meanwhile).
kafka_ready() {
  kafka_wait
  describe kafka "Apache Kafka $(head -n 1 "$KAFKA_RUNNING") KRaft, pid $(kafka_pid), message.max.bytes=64MiB, auto.create.topics.enable=false"
}

kafka_status() {
  local pid
  if pid=$(kafka_pid) && port_open "$KAFKA_PORT"; then
    echo "up 127.0.0.1:$KAFKA_PORT Apache Kafka $(head -n 1 "$KAFKA_RUNNING" 2>/dev/null) (pid $pid)"
  else
    echo "down 127.0.0.1:$KAFKA_PORT (log: $KAFKA_LOG)"
    return 1
  fi
}
