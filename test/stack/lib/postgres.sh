# shellcheck shell=bash
# PostgreSQL of the local stack: cluster "main" on 5432 (source) and "peer" on 5433 (target and
# two-way peer), both with logical decoding, managed with Debian's pg_*cluster tools.

# The settings both clusters need. All of them take effect only at a server restart.
PG_MIN_SLOTS=20
PG_MIN_SENDERS=20

# Loopback trust, replication connections included, ahead of any other rule of pg_hba.conf.
PG_HBA_BEGIN="# BEGIN tributary test stack (written by test/stack/stack.sh)"
PG_HBA_END="# END tributary test stack"
PG_HBA_BLOCK="$PG_HBA_BEGIN
local   all          all                  trust
host    all          all    127.0.0.1/32  trust
host    all          all    ::1/128       trust
local   replication  all                  trust
host    replication  all    127.0.0.1/32  trust
host    replication  all    ::1/128       trust
$PG_HBA_END"

# pg_field NAME FIELD — a column of `pg_lsclusters` for cluster NAME: 1 version, 3 port, 4 status, 7 log.
pg_field() { pg_lsclusters -h 2>/dev/null | awk -v name="$1" -v f="$2" '$2 == name { print $f; exit }'; }

pg_version() {
  local version
  version=$(pg_field main 1)
  [[ -n $version ]] || version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -n 1)
  echo "$version"
}

# pg_sql PORT SQL — runs SQL as the postgres superuser over the local socket; prints unaligned rows.
pg_sql() {
  if is_root; then
    runuser -u postgres -- psql -X -A -t -q -v ON_ERROR_STOP=1 -p "$1" -d postgres -c "$2"
  else
    psql -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -p "$1" -d postgres -c "$2"
  fi
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p "$1" -t 1; }

# pg_ctl_cluster VERSION NAME ACTION — start/stop/restart, then wait for it when starting.
pg_ctl_cluster() {
  local version=$1 name=$2 action=$3 port log
  port=$(pg_field "$name" 3)
  log=$(pg_field "$name" 7)
  pg_ctlcluster --skip-systemctl-redirect "$version" "$name" "$action" >>"$STACK_LOGS/pg_ctlcluster.log" 2>&1 9>&- ||
    fail "postgres $name" "$log" "pg_ctlcluster $version $name $action failed (see also $STACK_LOGS/pg_ctlcluster.log)"
  [[ $action == stop ]] && return 0
  wait_for 60 pg_ready "$port" || fail "postgres $name" "$log" "not accepting connections on 127.0.0.1:$port after 60 s"
}

# pg_hba_ensure VERSION NAME — puts the trust block at the top of the cluster's pg_hba.conf.
pg_hba_ensure() {
  local file="/etc/postgresql/$1/$2/pg_hba.conf" rest
  [[ -f $file ]] || fail "postgres $2" "" "$file not found"
  if [[ $(head -n 8 "$file") == "$PG_HBA_BLOCK" ]]; then return 1; fi
  rest=$(awk -v b="$PG_HBA_BEGIN" -v e="$PG_HBA_END" '$0 == b { skip = 1 } !skip { print } $0 == e { skip = 0 }' "$file")
  # Written in place, which keeps the file's owner and mode.
  printf '%s\n%s\n' "$PG_HBA_BLOCK" "$rest" >"$file" || fail "postgres $2" "" "cannot write $file (run as root)"
}

# pg_settings_ensure PORT LISTEN — ALTER SYSTEM for every setting that does not hold;
# succeeds when something was changed (a restart is then due).
pg_settings_ensure() {
  local port=$1 listen=$2 rows changed=1
  rows=$(pg_sql "$port" "SELECT name || '=' || setting FROM pg_settings WHERE name IN
    ('wal_level', 'max_replication_slots', 'max_wal_senders', 'track_commit_timestamp', 'listen_addresses')") ||
    return 2
  local -A cur=()
  while IFS='=' read -r key value; do cur[$key]=$value; done <<<"$rows"
  local sets=()
  [[ ${cur[wal_level]} == logical ]] || sets+=("wal_level = 'logical'")
  ((${cur[max_replication_slots]:-0} >= PG_MIN_SLOTS)) || sets+=("max_replication_slots = $PG_MIN_SLOTS")
  ((${cur[max_wal_senders]:-0} >= PG_MIN_SENDERS)) || sets+=("max_wal_senders = $PG_MIN_SENDERS")
  [[ ${cur[track_commit_timestamp]} == on ]] || sets+=("track_commit_timestamp = on")
  [[ -z $listen || ${cur[listen_addresses]} == "$listen" ]] || sets+=("listen_addresses = '$listen'")
  local s
  for s in "${sets[@]}"; do
    pg_sql "$port" "ALTER SYSTEM SET $s" || return 2
    changed=0
  done
  return $changed
}

# pg_cluster_up NAME PORT SERVICE LISTEN — creates (peer only), starts and configures a cluster.
pg_cluster_up() {
  local name=$1 port=$2 service=$3 listen=$4 version status log
  version=$(pg_version)
  [[ -n $version ]] || fail "$service" "" "no PostgreSQL server installed under /usr/lib/postgresql"
  if [[ -z $(pg_field "$name" 1) ]]; then
    say "$service: creating cluster $version/$name on port $port"
    # Its settings come below, with ALTER SYSTEM as for an existing cluster (one restart).
    pg_createcluster "$version" "$name" --port "$port" >>"$STACK_LOGS/pg_createcluster.log" 2>&1 ||
      fail "$service" "$STACK_LOGS/pg_createcluster.log" "pg_createcluster $version $name --port $port failed"
    did "$service" created
  fi
  [[ $(pg_field "$name" 3) == "$port" ]] ||
    fail "$service" "" "cluster $version/$name listens on port $(pg_field "$name" 3), expected $port (/etc/postgresql/$version/$name/postgresql.conf)"
  log=$(pg_field "$name" 7)
  local hba_changed=false
  if pg_hba_ensure "$version" "$name"; then
    say "$service: wrote the trust rules into /etc/postgresql/$version/$name/pg_hba.conf"
    hba_changed=true
  fi
  status=$(pg_field "$name" 4)
  if [[ $status != online* ]]; then
    say "$service: starting cluster $version/$name (log: $log)"
    pg_ctl_cluster "$version" "$name" start
    state_add "$service"
    did "$service" started
  else
    wait_for 30 pg_ready "$port" || fail "$service" "$log" "cluster $version/$name is online but not ready on 127.0.0.1:$port"
    if $hba_changed; then
      pg_sql "$port" "SELECT pg_reload_conf()" >/dev/null || fail "$service" "$log" "cannot reload the configuration"
    fi
  fi
  local rc=0
  pg_settings_ensure "$port" "$listen" || rc=$?
  ((rc == 2)) && fail "$service" "$log" "cannot read or change settings as the postgres superuser"
  if ((rc == 0)); then
    say "$service: settings changed with ALTER SYSTEM, restarting cluster $version/$name"
    pg_ctl_cluster "$version" "$name" restart
    did "$service" restarted
    rc=0
    pg_settings_ensure "$port" "$listen" || rc=$?
    ((rc == 1)) || fail "$service" "$log" "settings still differ after a restart (overridden on the command line?)"
  fi
  local bad
  bad=$(pg_sql "$port" "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL")
  [[ $bad == 0 ]] || fail "$service" "$log" "/etc/postgresql/$version/$name/pg_hba.conf has $bad invalid lines"
  describe "$service" "PostgreSQL $version/$name: $(pg_sql "$port" "SELECT 'wal_level=' || current_setting('wal_level')
    || ' slots=' || current_setting('max_replication_slots') || ' senders=' || current_setting('max_wal_senders')
    || ' track_commit_timestamp=' || current_setting('track_commit_timestamp')")"
}

pg_cluster_down() {
  local name=$1 service=$2
  [[ $(pg_field "$name" 4) == online* ]] || return 0
  say "$service: stopping cluster $(pg_field "$name" 1)/$name"
  pg_ctl_cluster "$(pg_field "$name" 1)" "$name" stop
}

pg_cluster_status() {
  local name=$1 port=$2
  if pg_ready "$port"; then
    echo "up 127.0.0.1:$port PostgreSQL $(pg_field "$name" 1)/$name"
  else
    echo "down 127.0.0.1:$port (log: $(pg_field "$name" 7))"
    return 1
  fi
}
