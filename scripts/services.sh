#!/usr/bin/env bash
# Makes sure the services that the tests and the example app use are up on loopback:
#   postgres  PostgreSQL 127.0.0.1:5432, trust auth for 127.0.0.1, roles postgres and root, db test
#   redis     Redis 127.0.0.1:6379, nothing kept on disk; the redis-server and redis-cli binaries
#             (the specs' private servers and Redis Cluster) even when Redis already runs
#   rabbitmq  RabbitMQ 127.0.0.1:5672, guest/guest
#   mariadb   MariaDB 127.0.0.1:3306, root with an empty password over 127.0.0.1, db test; the
#             mariadbd and mariadb-install-db binaries (the specs' private servers)
#   nats      NATS 127.0.0.1:4222 with JetStream; the nats-server binary (private servers)
#   mosquitto Mosquitto 127.0.0.1:1883, anonymous on loopback; mosquitto_sub / mosquitto_pub
#   promtool  Prometheus's promtool, for the alert rules' tests (a tool, not a service; no server
#             is started; when it cannot be installed the rules' spec skips and says why)
# Idempotent and quick when they already run. On a Debian machine that lacks one, it installs it
# from Debian's packages first (needs root). One line per service; exits non-zero when a service
# cannot be brought up.
#   usage: scripts/services.sh [postgres] [redis] [rabbitmq] [mariadb] [nats] [mosquitto] [promtool]
#          (no argument: postgres redis rabbitmq)
set -u
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(postgres redis rabbitmq)

log() { echo "services: $*"; }
apt_updated=0
ensure_pkg() { # $1 = a command the package provides, $2.. = Debian packages
  command -v "$1" >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >/dev/null 2>&1; apt_updated=1; fi
  shift
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # $1 = seconds, $2.. = a command that succeeds when ready
  local n=$(($1 * 5))
  shift
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}
pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -1; }
pg_trust_ok() { psql -h 127.0.0.1 -U postgres -w -d postgres -tAc 'SELECT 1' 2>/dev/null | grep -q 1; }

postgres_up() {
  local ver started=""
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    ensure_pkg pg_ctlcluster postgresql postgresql-client || { log "postgres: install failed"; return 1; }
    ver=$(pg_version)
    [ -n "$ver" ] || { log "postgres: no cluster found"; return 1; }
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
    wait_for 30 pg_isready -q -h 127.0.0.1 -p 5432 || { log "postgres: did not start"; return 1; }
    started=1
  fi
  if ! pg_trust_ok; then
    # Loopback-only trust: the tests connect as postgres without a password.
    ver=$(pg_version)
    local hba="/etc/postgresql/$ver/main/pg_hba.conf"
    [ -w "$hba" ] || { log "postgres: cannot log in as postgres over 127.0.0.1 and cannot edit $hba"; return 1; }
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)(md5|scram-sha-256|password)\s*$/\1trust/' "$hba"
    grep -Eq '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba" || sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload >/dev/null 2>&1
    wait_for 10 pg_trust_ok || { log "postgres: trust for 127.0.0.1 did not take"; return 1; }
  fi
  psql -h 127.0.0.1 -U postgres -w -tAc "SELECT 1 FROM pg_roles WHERE rolname='root'" | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -w -qc "CREATE ROLE root SUPERUSER LOGIN" >/dev/null
  psql -h 127.0.0.1 -U postgres -w -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -w -qc "CREATE DATABASE test" >/dev/null
  if [ -n "$started" ]; then log "postgres started"; else log "postgres up"; fi
}

redis_up() {
  # The binaries are needed even when Redis already runs (e.g. a CI service container): specs
  # start private servers with redis-server and create a Redis Cluster with redis-cli.
  ensure_pkg redis-server redis-server redis-tools || { log "redis: install of redis-server failed"; return 1; }
  ensure_pkg redis-cli redis-tools || { log "redis: install of redis-cli failed"; return 1; }
  if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then log "redis up"; return 0; fi
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1
  wait_for 20 sh -c 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG' || { log "redis: did not start"; return 1; }
  log "redis started"
}

rabbitmq_up() {
  if port_open 5672; then log "rabbitmq up"; return 0; fi
  ensure_pkg rabbitmq-server rabbitmq-server || { log "rabbitmq: install failed"; return 1; }
  rabbitmq-server -detached >/dev/null 2>&1
  wait_for 90 port_open 5672 || { log "rabbitmq: did not start"; return 1; }
  log "rabbitmq started"
}

mariadb_sql() { # $1 = SQL, as root over 127.0.0.1 with an empty password
  mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -u root --password= -N -B -e "$1"
}
mariadb_root_ok() { mariadb_sql 'SELECT 1' 2>/dev/null | grep -q 1; }

mariadb_up() {
  local started=""
  # The binaries are needed even when MariaDB already runs: specs start private servers.
  ensure_pkg mariadb-install-db mariadb-server mariadb-client || { log "mariadb: install failed"; return 1; }
  ensure_pkg mariadb mariadb-client || { log "mariadb: install of the client failed"; return 1; }
  if ! port_open 3306; then
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql >/dev/null 2>&1
    wait_for 60 port_open 3306 || { log "mariadb: did not start"; return 1; }
    started=1
  fi
  if ! wait_for 2 mariadb_root_ok; then
    # A fresh Debian install lets root in through the Unix socket only: allow an empty password
    # over 127.0.0.1 too (loopback-only test setup), whether or not host names are resolved.
    mariadb --protocol=socket -u root -e "
      ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
      CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
      FLUSH PRIVILEGES;" >/dev/null 2>&1
    wait_for 10 mariadb_root_ok || { log "mariadb: root cannot log in over 127.0.0.1 with an empty password"; return 1; }
  fi
  mariadb_sql 'CREATE DATABASE IF NOT EXISTS test' >/dev/null 2>&1 || { log "mariadb: cannot create database test"; return 1; }
  if [ -n "$started" ]; then log "mariadb started"; else log "mariadb up"; fi
}

nats_up() {
  # The binary is needed even when NATS already runs: specs start private servers.
  ensure_pkg nats-server nats-server || { log "nats: install failed"; return 1; }
  if port_open 4222; then log "nats up"; return 0; fi
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log >/dev/null 2>&1
  wait_for 20 port_open 4222 || { log "nats: did not start"; return 1; }
  log "nats started"
}

mosquitto_up() {
  ensure_pkg mosquitto mosquitto || { log "mosquitto: install failed"; return 1; }
  ensure_pkg mosquitto_sub mosquitto-clients || { log "mosquitto: install of mosquitto-clients failed"; return 1; }
  if port_open 1883; then log "mosquitto up"; return 0; fi
  local conf=/etc/mosquitto/mosquitto.conf
  # Mosquitto 2 without a listener line serves local clients only, through the socket of its
  # default listener; the tests connect to 127.0.0.1:1883 without credentials.
  if [ -w "$conf" ] && ! grep -Eq '^\s*listener\s' "$conf"; then
    printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' >>"$conf"
  fi
  mkdir -p /run/mosquitto /var/lib/mosquitto /var/log/mosquitto
  chown mosquitto:mosquitto /run/mosquitto /var/lib/mosquitto /var/log/mosquitto 2>/dev/null
  mosquitto -d -c "$conf" >/dev/null 2>&1
  wait_for 20 port_open 1883 || { log "mosquitto: did not start"; return 1; }
  log "mosquitto started"
}

promtool_up() {
  if command -v promtool >/dev/null 2>&1; then log "promtool here"; return 0; fi
  # Debian's prometheus package carries promtool; no server is started by the tests.
  if ensure_pkg promtool --no-install-recommends prometheus && command -v promtool >/dev/null 2>&1; then
    log "promtool installed"
  else
    log "promtool: could not install Debian's prometheus; the alert rules' spec will skip"
  fi
  return 0
}

rc=0
for s in "${want[@]}"; do
  case "$s" in
    postgres) postgres_up || rc=1 ;;
    redis) redis_up || rc=1 ;;
    rabbitmq) rabbitmq_up || rc=1 ;;
    mariadb) mariadb_up || rc=1 ;;
    nats) nats_up || rc=1 ;;
    mosquitto) mosquitto_up || rc=1 ;;
    promtool) promtool_up || rc=1 ;;
    *) log "unknown service '$s' (postgres, redis, rabbitmq, mariadb, nats, mosquitto, promtool)"; rc=2 ;;
  esac
done
exit $rc
