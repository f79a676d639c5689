#!/usr/bin/env bash
# Starts an all-in-one OpenStack Swift (Debian's packages) with the s3api middleware on loopback,
# as a second, production-grade S3-protocol server for the blob-store tests (the first is s3rver).
# Idempotent: installs what is missing, builds the rings once, starts only what is not answering.
# Prints the S3 endpoint and credentials as MTM_SWIFT_* lines on stdout; everything else on stderr.
#
# Layout: one storage device (a directory) under $MTM_SWIFT_ROOT, rings with one replica and one
# device each, tempauth with a single test user (tempauth speaks S3 through s3api: the access key is
# "<account>:<user>", the secret is the user's key), memcached (tempauth requires it).
set -euo pipefail

ROOT="${MTM_SWIFT_ROOT:-/var/tmp/mtm-swift}"
PROXY_PORT="${MTM_SWIFT_PORT:-8180}"
OBJECT_PORT=6310
CONTAINER_PORT=6311
ACCOUNT_PORT=6312
MEMCACHED_PORT=11711
S3_ACCOUNT=mtm
S3_USER=tester
S3_KEY=mtm-swift-testing
ENDPOINT="http://127.0.0.1:${PROXY_PORT}"

log() { echo "start-swift: $*" >&2; }

# Test files may call this at the same time: one installs and starts, the others wait for it.
mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock 9

print_settings() {
  echo "MTM_SWIFT_S3_ENDPOINT=${ENDPOINT}"
  echo "MTM_SWIFT_S3_ACCESS_KEY_ID=${S3_ACCOUNT}:${S3_USER}"
  echo "MTM_SWIFT_S3_SECRET_ACCESS_KEY=${S3_KEY}"
}

# Any HTTP answer from the proxy's healthcheck means it is up.
proxy_answers() { curl -fsS -m 2 "${ENDPOINT}/healthcheck" >/dev/null 2>&1; }

if proxy_answers; then
  print_settings
  exit 0
fi

need=()
[ -x /usr/bin/swift-proxy-server ] || need+=(swift-proxy)
[ -x /usr/bin/swift-object-server ] || need+=(swift-object)
[ -x /usr/bin/swift-container-server ] || need+=(swift-container)
[ -x /usr/bin/swift-account-server ] || need+=(swift-account)
[ -x /usr/bin/swift-ring-builder ] || need+=(swift)
command -v memcached >/dev/null 2>&1 || [ -x /usr/bin/memcached ] || need+=(memcached)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    log "missing Debian packages; run: sudo apt-get install -y ${need[*]}"
    exit 1
  fi
fi

ETC="$ROOT/etc"
mkdir -p "$ETC" "$ROOT/node/d1" "$ROOT/run" "$ROOT/log" "$ROOT/cache"
# The servers run as root (this is a test fixture) but Swift drops to this user; keep it ours.
RUN_USER="$(id -un)"

# swift.conf: the hash prefix/suffix every server must agree on. Swift always reads it from
# /etc/swift; the package installs one, created here only if it is missing.
if [ ! -f /etc/swift/swift.conf ]; then
  mkdir -p /etc/swift
  printf '[swift-hash]\nswift_hash_path_suffix = mtm-test\nswift_hash_path_prefix = mtm-test\n\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n' >/etc/swift/swift.conf
fi

storage_conf() { # kind port
  cat <<EOF
[DEFAULT]
devices = $ROOT/node
mount_check = false
bind_ip = 127.0.0.1
bind_port = $2
workers = 0
user = $RUN_USER
swift_dir = $ETC
log_name = mtm-swift-$1
log_level = WARNING

[pipeline:main]
pipeline = $1-server

[app:$1-server]
use = egg:swift#$1
EOF
}
storage_conf object "$OBJECT_PORT" >"$ETC/object-server.conf"
storage_conf container "$CONTAINER_PORT" >"$ETC/container-server.conf"
storage_conf account "$ACCOUNT_PORT" >"$ETC/account-server.conf"

cat >"$ETC/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PROXY_PORT
workers = 0
user = $RUN_USER
swift_dir = $ETC
log_name = mtm-swift-proxy
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:tempauth]
use = egg:swift#tempauth
user_${S3_ACCOUNT}_${S3_USER} = ${S3_KEY} .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHED_PORT

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
EOF

# Rings: part power 8, one replica, one device: all data on the one directory.
for kind in object container account; do
  case $kind in object) port=$OBJECT_PORT ;; container) port=$CONTAINER_PORT ;; account) port=$ACCOUNT_PORT ;; esac
  if [ ! -f "$ETC/$kind.ring.gz" ]; then
    rm -f "$ETC/$kind.builder"
    swift-ring-builder "$ETC/$kind.builder" create 8 1 1 >/dev/null
    swift-ring-builder "$ETC/$kind.builder" add "r1z1-127.0.0.1:$port/d1" 100 >/dev/null
    swift-ring-builder "$ETC/$kind.builder" rebalance >/dev/null || true
  fi
done

answers_on() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_daemon() { # name port command...
  local name=$1 port=$2
  shift 2
  if answers_on "$port"; then return; fi
  log "starting $name on 127.0.0.1:$port"
  # 9>&-: the daemon must not inherit the lock, or it holds it for as long as it runs and every
  # later caller waits forever.
  setsid nohup "$@" >>"$ROOT/log/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$ROOT/run/$name.pid"
}

start_daemon memcached "$MEMCACHED_PORT" memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 32 -u "$RUN_USER"
start_daemon account "$ACCOUNT_PORT" swift-account-server "$ETC/account-server.conf"
start_daemon container "$CONTAINER_PORT" swift-container-server "$ETC/container-server.conf"
start_daemon object "$OBJECT_PORT" swift-object-server "$ETC/object-server.conf"
start_daemon proxy "$PROXY_PORT" swift-proxy-server "$ETC/proxy-server.conf"

# A freshly started Swift answers its healthcheck before the account and container servers take
# writes: the first container PUTs get 503 ("Please reduce your request rate") for a while. Wait
# until one container can be created and deleted through tempauth, so callers start on a Swift
# that works.
account_takes_writes() {
  local headers token storage
  headers=$(curl -fsS -m 5 -D - -o /dev/null -H "X-Auth-User: ${S3_ACCOUNT}:${S3_USER}" -H "X-Auth-Key: ${S3_KEY}" "${ENDPOINT}/auth/v1.0" 2>/dev/null) || return 1
  token=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
  storage=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Xx]-[Ss]torage-[Uu]rl: //p')
  [ -n "$token" ] && [ -n "$storage" ] || return 1
  curl -fsS -m 5 -X PUT -H "X-Auth-Token: $token" "$storage/mtm-warmup" >/dev/null 2>&1 || return 1
  curl -fsS -m 5 -X DELETE -H "X-Auth-Token: $token" "$storage/mtm-warmup" >/dev/null 2>&1 || true
}

for _ in $(seq 300); do
  if proxy_answers && account_takes_writes; then
    print_settings
    exit 0
  fi
  sleep 0.2
done
log "Swift did not take writes on ${ENDPOINT} within 60 s; logs in $ROOT/log:"
tail -n 20 "$ROOT"/log/*.log >&2 || true
exit 1
