#!/usr/bin/env bash
# The local stack of Tributary's integration tests, without Docker (DESIGN.md section 8):
#   Kafka (KRaft)            127.0.0.1:9092   jars from Maven Central, cached under ~/.cache/tributary
#   PostgreSQL "main"        127.0.0.1:5432   source; wal_level=logical
#   PostgreSQL "peer"        127.0.0.1:5433   target and two-way peer; same settings
#   MariaDB                  127.0.0.1:3306   row-based binlog with GTIDs
#
# usage: bash test/stack/stack.sh up|down|status
#   up      installs what is missing, starts what is stopped, fixes what is misconfigured, and
#           leaves a healthy service alone (a second `up` takes seconds). Idempotent.
#   down    stops Kafka and the services that `up` started from stopped; keeps all data.
#   status  one line per service; exit 0 when all are up.
# environment: KAFKA_VERSION (default below), KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS,
#              XDG_CACHE_HOME (cache, logs and Kafka data under $XDG_CACHE_HOME/tributary).
set -uo pipefail

STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$STACK_DIR/lib/common.sh"
# shellcheck source=lib/kafka.sh
source "$STACK_DIR/lib/kafka.sh"
# shellcheck source=lib/postgres.sh
source "$STACK_DIR/lib/postgres.sh"
# shellcheck source=lib/mariadb.sh
source "$STACK_DIR/lib/mariadb.sh"

SERVICES=(kafka postgres postgres-peer mariadb)
declare -A ADDRESS=([kafka]=127.0.0.1:9092 [postgres]=127.0.0.1:5432 [postgres-peer]=127.0.0.1:5433 [mariadb]=127.0.0.1:3306)

service_status() {
  case $1 in
  kafka) kafka_status ;;
  postgres) pg_cluster_status main 5432 ;;
  postgres-peer) pg_cluster_status peer 5433 ;;
  mariadb) mariadb_status ;;
  esac
}

cmd_up() {
  local started=$SECONDS
  ensure_packages
  kafka_up
  pg_cluster_up main 5432 postgres ""
  pg_cluster_up peer 5433 postgres-peer 127.0.0.1
  mariadb_up
  kafka_ready
  echo
  printf '%-14s %-5s %-15s %-10s %s\n' SERVICE STATE ADDRESS "THIS RUN" SETTINGS
  local service line all_up=true
  for service in "${SERVICES[@]}"; do
    line=$(service_status "$service") || all_up=false
    printf '%-14s %-5s %-15s %-10s %s\n' "$service" "${line%% *}" "${ADDRESS[$service]}" \
      "${RUN_ACTION[$service]:-unchanged}" "${RUN_DETAIL[$service]:-}"
  done
  $all_up || fail stack "" "a service went down right after start-up; run: bash test/stack/stack.sh status"
  say "stack up in $((SECONDS - started)) s; cache and logs: $STACK_CACHE"
}

cmd_down() {
  kafka_stop
  state_remove kafka
  if state_has postgres-peer; then pg_cluster_down peer postgres-peer && state_remove postgres-peer; fi
  if state_has postgres; then pg_cluster_down main postgres && state_remove postgres; fi
  if state_has mariadb; then mariadb_down && state_remove mariadb; fi
  local service
  for service in "${SERVICES[@]}"; do
    printf '%-14s %s\n' "$service" "$(service_status "$service")"
  done
}

cmd_status() {
  local service line rc=0
  for service in "${SERVICES[@]}"; do
    line=$(service_status "$service") || rc=1
    printf '%-14s %s\n' "$service" "$line"
  done
  return $rc
}

main() {
  local command=${1:-}
  case $command in
  up | down | status) ;;
  *)
    echo "usage: bash test/stack/stack.sh up|down|status" >&2
    exit 2
    ;;
  esac
  mkdir -p "$STACK_LOGS" || fail stack "" "cannot create $STACK_LOGS"
  if [[ $command == status ]]; then
    cmd_status
    exit
  fi
  # One up or down at a time (several test runs may call up together).
  exec 9>"$STACK_CACHE/stack.lock"
  flock -w 300 9 || fail stack "" "another stack.sh holds $STACK_CACHE/stack.lock for over 300 s"
  "cmd_$command"
}

main "$@"
