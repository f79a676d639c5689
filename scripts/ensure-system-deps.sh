#!/usr/bin/env bash
# Installs (as root) the Debian packages the integration tests talk to, and starts Redis when it
# is not answering. Without root it says which command to run instead.
set -euo pipefail
need=()
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
command -v mbsync >/dev/null 2>&1 || need+=(isync)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v curl >/dev/null 2>&1 || need+=(curl)
# The real-client test drives Debian's Thunderbird ESR through Marionette under a virtual X server.
command -v thunderbird >/dev/null 2>&1 || need+=(thunderbird)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v xauth >/dev/null 2>&1 || need+=(xauth)
# The web interface tests drive Debian's Chromium through playwright-core (no downloaded browser).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The PostgreSQL store's tests use the machine's server on 127.0.0.1:5432.
fresh_postgresql=
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then need+=(postgresql); fresh_postgresql=1; fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing Debian packages; run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
# Debian's package starts a system-wide Dovecot on 143; the tests run their own, so stop it.
if pgrep -f '^/usr/sbin/dovecot$' >/dev/null 2>&1 && [ -z "${MTM_KEEP_SYSTEM_DOVECOT:-}" ]; then
  /usr/sbin/dovecot stop >/dev/null 2>&1 || true
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
# PostgreSQL: started when not answering (no systemd in containers); a server this script just
# installed lets local test connections in without a password, as the tests expect (trust auth).
cluster_version=$(ls /etc/postgresql | sort -V | tail -n 1)
if [ -n "$fresh_postgresql" ]; then
  sed -i '1i host all all 127.0.0.1/32 trust' "/etc/postgresql/$cluster_version/main/pg_hba.conf"
  pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main reload >/dev/null 2>&1 || true
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start >/dev/null 2>&1 || true
  for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 0.1; done
fi
