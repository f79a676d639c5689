#!/bin/sh
# Fills the @@NAME@@ placeholders of the shared Dovecot config (config/dovecot/dovecot.conf, the
# one the tests use through src/testbed/dovecot.ts), writes the master user and the demo account,
# seeds the demo mailbox on first start and runs Dovecot in the foreground.
set -eu

TEMPLATE=${DOVECOT_CONFIG_TEMPLATE:-/etc/mtm-dovecot/dovecot.conf}
ROOT=${DOVECOT_ROOT:-/srv/dovecot}
MASTER_USER=${DOVECOT_MASTER_USER:?set DOVECOT_MASTER_USER}
MASTER_PASSWORD=${DOVECOT_MASTER_PASSWORD:?set DOVECOT_MASTER_PASSWORD}
DEMO_USER=${DOVECOT_DEMO_USER:-demo}
DEMO_PASSWORD=${DOVECOT_DEMO_PASSWORD:-demo}

mkdir -p "$ROOT/run" "$ROOT/state" "$ROOT/mail" "$ROOT/home"
chown mtm-mail:mtm-mail "$ROOT/mail" "$ROOT/home"

sed -e "s|@@ROOT@@|$ROOT|g" \
    -e "s|@@HOST@@|0.0.0.0|g" \
    -e "s|@@PORT@@|${DOVECOT_PORT:-143}|g" \
    -e "s|@@LOGIN_USER@@|dovenull|g" \
    -e "s|@@INTERNAL_USER@@|dovecot|g" \
    -e "s|@@MAIL_USER@@|mtm-mail|g" \
    -e "s|@@MAIL_GROUP@@|mtm-mail|g" \
    -e "s|@@QUOTA@@|0|g" \
    "$TEMPLATE" > "$ROOT/dovecot.conf"
# Logs to the container's output, not a file nobody reads.
sed -i -e "s|^log_path = .*|log_path = /dev/stderr|" "$ROOT/dovecot.conf"

umask 022
printf '%s:{PLAIN}%s::::::\n' "$MASTER_USER" "$MASTER_PASSWORD" > "$ROOT/master-users"
printf '%s:{PLAIN}%s::::::\n' "$DEMO_USER" "$DEMO_PASSWORD" > "$ROOT/users"

# A few messages in the demo INBOX (Maildir: one file per message), only on first start.
INBOX="$ROOT/mail/$DEMO_USER"
if [ ! -d "$INBOX/cur" ]; then
  mkdir -p "$INBOX/cur" "$INBOX/new" "$INBOX/tmp"
  now=$(date +%s)
  for n in 1 2 3; do
    cat > "$INBOX/new/$now.demo$n.$(hostname)" <<MESSAGE
From: Mail Time Machine <noreply@example.org>
To: $DEMO_USER@example.org
Subject: Demo message $n
Date: $(date -R)
Message-ID: <demo-$n-$now@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

This is demo message $n. Tonight's snapshot keeps it for 15 days,
even if you delete it from the live mailbox.
MESSAGE
  done
  chown -R mtm-mail:mtm-mail "$INBOX"
fi

exec /usr/sbin/dovecot -F -c "$ROOT/dovecot.conf"
