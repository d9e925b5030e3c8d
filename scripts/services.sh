#!/usr/bin/env bash
# Makes sure the services that the tests and the example app use are up on loopback:
#   postgres  PostgreSQL 127.0.0.1:5432, trust auth for 127.0.0.1, roles postgres and root, db test
#   redis     Redis 127.0.0.1:6379, nothing kept on disk; the redis-server and redis-cli binaries
#             (the specs' private servers and Redis Cluster) even when Redis already runs
#   rabbitmq  RabbitMQ 127.0.0.1:5672, guest/guest
#   promtool  Prometheus's promtool, for the alert rules' tests (a tool, not a service; no server
#             is started; when it cannot be installed the rules' spec skips and says why)
# Idempotent and quick when they already run. On a Debian machine that lacks one, it installs it
# from Debian's packages first (needs root). One line per service; exits non-zero when a service
# cannot be brought up.
#   usage: scripts/services.sh [postgres] [redis] [rabbitmq] [promtool]   (no argument: the three services)
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
    promtool) promtool_up || rc=1 ;;
    *) log "unknown service '$s' (postgres, redis, rabbitmq, promtool)"; rc=2 ;;
  esac
done
exit $rc
