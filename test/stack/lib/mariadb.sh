# shellcheck shell=bash
# MariaDB of the local stack on 127.0.0.1:3306: row-based binlog with GTIDs, started without systemd.

MARIADBD=/usr/sbin/mariadbd
MARIADB_PORT=3306
MARIADB_CNF_NAME=99-tributary.cnf
# Values of @@log_bin @@binlog_format @@binlog_row_image @@server_id @@log_slave_updates
# @@gtid_strict_mode @@binlog_expire_logs_seconds @@max_allowed_packet that the file below gives
# (CONCAT_WS shows the boolean ones as ON/OFF).
MARIADB_WANTED="ON ROW FULL 1 ON ON 604800 67108864"
MARIADB_CNF="# Written by test/stack/stack.sh (Tributary local test stack): row-based binlog with GTIDs.
[mariadbd]
log_bin = mariadb-bin
binlog_format = ROW
binlog_row_image = FULL
server_id = 1
log_slave_updates = ON
gtid_strict_mode = ON
binlog_expire_logs_seconds = 604800
max_allowed_packet = 64M"

# mariadb_default NAME — an option the server would start with, e.g. datadir or log-error.
mariadb_default() { "$MARIADBD" --print-defaults 2>/dev/null | tr ' ' '\n' | sed -n "s/^--$1=//p" | tail -n 1; }

mariadb_log() {
  local log
  log=$(mariadb_default log-error)
  echo "${log:-$(mariadb_default datadir)/$(hostname).err}"
}

# mariadb_sql SQL — as the server's root account: over the socket when we are root (unix_socket
# authentication works on a fresh install), else over TCP.
mariadb_sql() {
  if is_root; then mariadb -uroot --protocol=socket -NBe "$1"; else mariadb -uroot -h127.0.0.1 -P"$MARIADB_PORT" -NBe "$1"; fi
}

# The server answers (over its socket: a TCP ping fails outright when no account may connect from
# 127.0.0.1, a case mariadb_up repairs) and listens on 127.0.0.1:3306.
mariadb_alive() { mariadb-admin -uroot --connect-timeout=2 ping >/dev/null 2>&1 && port_open "$MARIADB_PORT"; }
mariadb_process() { start-stop-daemon --status --exec "$MARIADBD"; }
mariadb_gone() { ! mariadb_process; }

# The server's drop-in directory: the last `!includedir` of its main option files (read last, so
# ours wins). The main file on this kind of machine may include none: one is added then.
mariadb_conf_dir() {
  local dir
  dir=$(cat /etc/my.cnf /etc/mysql/my.cnf 2>/dev/null | sed -n 's/^[[:space:]]*!includedir[[:space:]]\+//p' | tail -n 1)
  if [[ -z $dir ]]; then
    dir=/etc/mysql/mariadb.conf.d
    [[ -f /etc/mysql/my.cnf ]] || fail mariadb "" "/etc/mysql/my.cnf not found: is mariadb-server installed?"
    say "mariadb: /etc/mysql/my.cnf includes no directory, adding !includedir $dir/" >&2
    printf '\n# Added by test/stack/stack.sh (Tributary local test stack): read drop-in files.\n!includedir %s/\n' \
      "$dir" >>/etc/mysql/my.cnf || fail mariadb "" "cannot write /etc/mysql/my.cnf (run as root)"
  fi
  mkdir -p "${dir%/}"
  echo "${dir%/}"
}

mariadb_start() {
  local log
  log=$(mariadb_log)
  is_root || fail mariadb "$log" "the server is stopped and only root can start it"
  local run piddir datadir dir
  piddir=$(dirname "$(mariadb_default pid-file)")
  run=$(dirname "$(mariadb_default socket)")
  for dir in "$piddir" "$run"; do install -d -o mysql -g mysql "$dir"; done
  datadir=$(mariadb_default datadir)
  if [[ ! -d $datadir/mysql ]]; then
    say "mariadb: initialising $datadir"
    mariadb-install-db --user=mysql --datadir="$datadir" >"$STACK_LOGS/mariadb-install-db.log" 2>&1 ||
      fail mariadb "$STACK_LOGS/mariadb-install-db.log" "mariadb-install-db failed"
  fi
  start-stop-daemon --start --oknodo --background --exec "$MARIADBD" 9>&- ||
    fail mariadb "$log" "start-stop-daemon could not start $MARIADBD"
  local deadline=$((SECONDS + 60))
  until mariadb_alive; do
    ((SECONDS >= deadline)) && fail mariadb "$log" "not answering on 127.0.0.1:$MARIADB_PORT after 60 s"
    sleep 0.5
    mariadb_process || fail mariadb "$log" "the server exited during start-up"
  done
}

mariadb_stop() {
  mariadb-admin -uroot shutdown || fail mariadb "$(mariadb_log)" "mariadb-admin shutdown failed"
  wait_for 60 mariadb_gone || fail mariadb "$(mariadb_log)" "still running 60 s after shutdown"
}

mariadb_current() {
  mariadb_sql "SELECT CONCAT_WS(' ', @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id,
    @@log_slave_updates, @@gtid_strict_mode, @@binlog_expire_logs_seconds, @@max_allowed_packet)"
}

# Root logs in over TCP with an empty password (tests and connectors connect so).
mariadb_tcp_root() { mariadb -uroot -h127.0.0.1 -P"$MARIADB_PORT" -NBe "SELECT 1" >/dev/null 2>&1; }

mariadb_up() {
  local dir log changed=false
  dir=$(mariadb_conf_dir) || exit 1
  log=$(mariadb_log)
  if [[ ! -f $dir/$MARIADB_CNF_NAME || $(<"$dir/$MARIADB_CNF_NAME") != "$MARIADB_CNF" ]]; then
    printf '%s\n' "$MARIADB_CNF" >"$dir/$MARIADB_CNF_NAME" || fail mariadb "" "cannot write $dir/$MARIADB_CNF_NAME"
    say "mariadb: wrote $dir/$MARIADB_CNF_NAME"
    changed=true
  fi
  if ! mariadb_alive; then
    mariadb_process && fail mariadb "$log" "a mariadbd process runs but does not answer on 127.0.0.1:$MARIADB_PORT"
    say "mariadb: starting $MARIADBD (log: $log)"
    mariadb_start
    state_add mariadb
    did mariadb started
  fi
  local current
  current=$(mariadb_current) || fail mariadb "$log" "cannot query the server as root"
  if [[ $current != "$MARIADB_WANTED" ]]; then
    say "mariadb: binlog settings are '$current', want '$MARIADB_WANTED': restarting"
    mariadb_stop
    mariadb_start
    did mariadb restarted
    current=$(mariadb_current)
    [[ $current == "$MARIADB_WANTED" ]] ||
      fail mariadb "$log" "settings are '$current' after a restart, want '$MARIADB_WANTED'; is $dir/$MARIADB_CNF_NAME read?"
  elif $changed; then
    say "mariadb: running server already has these settings, no restart"
  fi
  if ! mariadb_tcp_root; then
    say "mariadb: allowing root over TCP 127.0.0.1 with an empty password"
    mariadb_sql "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
      ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
      FLUSH PRIVILEGES" || fail mariadb "$log" "cannot create root@127.0.0.1"
    mariadb_tcp_root || fail mariadb "$log" "root cannot log in over 127.0.0.1:$MARIADB_PORT with an empty password"
  fi
  describe mariadb "MariaDB $(mariadb_sql "SELECT VERSION()"): log_bin=ON binlog_format=ROW row_image=FULL server_id=1 gtid_strict_mode=ON"
}

mariadb_down() {
  mariadb_alive || return 0
  say "mariadb: shutting down"
  mariadb_stop
}

mariadb_status() {
  if mariadb_alive; then
    echo "up 127.0.0.1:$MARIADB_PORT MariaDB"
  else
    echo "down 127.0.0.1:$MARIADB_PORT (log: $(mariadb_log))"
    return 1
  fi
}
