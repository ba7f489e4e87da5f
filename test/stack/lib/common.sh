# shellcheck shell=bash
# Shared helpers of test/stack/stack.sh: paths, messages, the state file, waiting, packages.

STACK_CACHE="${XDG_CACHE_HOME:-${HOME:?set HOME or XDG_CACHE_HOME}/.cache}/tributary"
STACK_LOGS="$STACK_CACHE/logs"
# Services that `up` found stopped and started; `down` stops exactly these (plus Kafka).
STACK_STATE="$STACK_CACHE/stack.state"

# What this run did to each service and a short description of its settings, for the closing table.
declare -A RUN_ACTION=() RUN_DETAIL=()

# did SERVICE ACTION — records what this run did (created, started, restarted); the first change
# stays, so a cluster created and then restarted to configure it reads "created".
did() {
  [[ ${RUN_ACTION[$1]:-unchanged} == unchanged ]] && RUN_ACTION[$1]=$2
  return 0
}

# describe SERVICE TEXT — the settings column of the closing table.
# shellcheck disable=SC2034 # read by stack.sh
describe() { RUN_DETAIL[$1]=$2; }

say() { printf '[stack] %s\n' "$*"; }
warn() { printf '[stack] %s\n' "$*" >&2; }

# fail SERVICE LOG_FILE MESSAGE... — prints the reason, the end of the log, and exits 1.
fail() {
  local service=$1 log=$2
  shift 2
  warn "ERROR [$service] $*"
  if [[ -n $log && -r $log ]]; then
    warn "----- last lines of $log -----"
    tail -n 25 "$log" >&2
    warn "----- read $log for the whole log -----"
  elif [[ -n $log ]]; then
    warn "(log file: $log)"
  fi
  exit 1
}

is_root() { ((EUID == 0)); }

# port_open PORT — true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# port_owner PORT — the `ss` line of whoever listens on 127.0.0.1:PORT (for error messages).
port_owner() { ss -Hltnp "sport = :$1" 2>/dev/null | head -n 1; }

# wait_for SECONDS COMMAND... — polls COMMAND every half second until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.5
  done
}

state_has() { [[ -f $STACK_STATE ]] && grep -qx "$1" "$STACK_STATE"; }
state_add() { state_has "$1" || echo "$1" >>"$STACK_STATE"; }
state_remove() {
  [[ -f $STACK_STATE ]] || return 0
  local rest
  rest=$(grep -vx "$1" "$STACK_STATE" || true)
  if [[ -n $rest ]]; then printf '%s\n' "$rest" >"$STACK_STATE"; else rm -f "$STACK_STATE"; fi
}

# java_ok — a Java 17 or newer is on PATH (Kafka 4.x brokers need 17).
java_ok() {
  command -v java >/dev/null || return 1
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
  [[ ${major%%.*} =~ ^[0-9]+$ ]] && ((${major%%.*} >= 17))
}

# ensure_packages — installs the Debian packages the stack needs, only those missing.
ensure_packages() {
  local missing=()
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && command -v pg_ctlcluster >/dev/null ||
    missing+=(postgresql)
  command -v psql >/dev/null && command -v pg_isready >/dev/null || missing+=(postgresql-client)
  [[ -x /usr/sbin/mariadbd ]] && dpkg -s mariadb-server >/dev/null 2>&1 || missing+=(mariadb-server)
  command -v mariadb >/dev/null && command -v mariadb-admin >/dev/null || missing+=(mariadb-client)
  java_ok || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  ((${#missing[@]} == 0)) && return 0

  is_root || fail packages "" "missing ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}"
  local log="$STACK_LOGS/apt.log"
  say "installing missing packages: ${missing[*]} (log: $log)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >"$log" 2>&1 || fail packages "$log" "apt-get update failed"
  apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" >>"$log" 2>&1 ||
    fail packages "$log" "apt-get install ${missing[*]} failed"
  hash -r
}
