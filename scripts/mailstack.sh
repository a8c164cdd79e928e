#!/usr/bin/env bash
# A real mail stack for redeemdesk's tests: Postfix (SMTP) hands mail for
# example.test to Dovecot (LMTP -> Maildir, IMAP), both on 127.0.0.1 only and
# both run entirely from one folder, so nothing touches /etc/postfix or
# /etc/dovecot and nothing can leave the machine.
#
#   bash scripts/mailstack.sh start    install if needed, write configs, start (idempotent)
#   bash scripts/mailstack.sh stop     stop both daemons
#   bash scripts/mailstack.sh status   say whether both answer (exit 0) or not (exit 1)
#   bash scripts/mailstack.sh env      print KEY=value lines describing the stack
#   bash scripts/mailstack.sh clean    stop, then delete the folder (mail, queue, cert)
#
# Folder: $REDEEMDESK_MAIL_DIR, default /tmp/redeemdesk-mail.
# Ports:  SMTP 2525 (plain, AUTH allowed), 2587 (STARTTLS required, AUTH),
#         2465 (implicit TLS, AUTH); IMAP 1143 (plain), 1993 (implicit TLS).
# Users, certificate and the reasons behind the settings: docs/mail-test-stack.md.
set -euo pipefail
umask 022

BASE=${REDEEMDESK_MAIL_DIR:-/tmp/redeemdesk-mail}
BASE=${BASE%/}
HOST=127.0.0.1
SMTP_PORT=2525
SUBMISSION_PORT=2587
SMTPS_PORT=2465
IMAP_PORT=1143
IMAPS_PORT=1993
DOMAIN=example.test
# login@example.test:password; every login works for IMAP and for SMTP AUTH.
USERS=(
  support:support-pass
  budi:pass sarah:pass rina:pass andi:pass
  # The demo data set's members (src/import/demo.json), so demo claims can be emailed.
  budi.santoso:pass sarah.wijaya:pass rizky.pratama:pass dewi.lestari:pass
  customer1:pass customer2:pass customer3:pass customer4:pass customer5:pass
)
PACKAGES=(postfix dovecot-imapd dovecot-lmtpd openssl)

TLS_DIR=$BASE/tls
CERT=$TLS_DIR/cert.pem
KEY=$TLS_DIR/key.pem
PF_CONF=$BASE/postfix          # Postfix config_directory: main.cf, master.cf, recipients
PF_QUEUE=$BASE/postfix-queue   # queue_directory: root-owned, outside the config dir
PF_DATA=$BASE/postfix-data     # data_directory: must be owned by postfix (master.lock)
PF_LOG=$BASE/postfix.log       # maillog_file: there is no syslog here
DC_DIR=$BASE/dovecot
DC_CONF=$DC_DIR/dovecot.conf
DC_USERS=$DC_DIR/users         # passwd-file: passdb and userdb
DC_RUN=$DC_DIR/run             # base_dir: master.pid and the lmtp / auth sockets
DC_LOG=$DC_DIR/dovecot.log
MAIL_HOMES=$BASE/mail          # one home per user, Maildir inside, owned by `mail`
MARKER=$BASE/.mailstack        # says "this folder is ours" before `clean` deletes it

say() { echo "mailstack: $*"; }
die() { echo "mailstack: error: $*" >&2; exit 1; }

# fail LOG MESSAGE: like die, but also shows the end of the daemon's log,
# which is where Postfix and Dovecot explain themselves.
fail() {
  echo "mailstack: error: $2" >&2
  if [[ -s $1 ]]; then
    echo "--- last lines of $1" >&2
    tail -n 20 "$1" >&2
  fi
  exit 1
}

check_base() {
  [[ $BASE == /* ]] || die "REDEEMDESK_MAIL_DIR must be an absolute path (got '$BASE')"
  # The path is written into Postfix and Dovecot configs, where spaces, commas
  # and the like would change its meaning.
  [[ $BASE =~ ^/[A-Za-z0-9._/-]+$ ]] ||
    die "REDEEMDESK_MAIL_DIR may only hold letters, digits and . _ - / (got '$BASE')"
  # Unix socket paths are limited to 107 bytes; the longest one is
  # $BASE/dovecot/run/auth-postfix, plus Dovecot's own sockets beside it.
  ((${#BASE} <= 64)) || die "REDEEMDESK_MAIL_DIR is too long for unix socket paths (max 64 characters)"
}

need_root() {
  ((EUID == 0)) && return 0
  command -v sudo >/dev/null 2>&1 || die "run as root: Postfix and Dovecot start as root"
  exec sudo REDEEMDESK_MAIL_DIR="$BASE" bash "$0" "$@"
}

# ---------------------------------------------------------------- processes

# True if PID is a live process named NAME. A zombie counts as dead: dead
# processes are reaped late on this machine, 1.5-3 s after they exit.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $stat == *"($2) "[!Z]* ]]
}

# True if something listens on $HOST:PORT. Read from the kernel's table rather
# than by connecting, which would leave "lost connection" and TLS handshake
# errors in both daemons' logs at every start.
port_open() {
  local want _sl addr _rem state _rest
  want=$(printf '0100007F:%04X' "$1") # 127.0.0.1, as /proc/net/tcp spells it
  while read -r _sl addr _rem state _rest; do
    [[ $addr == "$want" && $state == 0A ]] && return 0 # 0A: LISTEN
  done </proc/net/tcp
  return 1
}

# wait_ports SECONDS PORT... : true once every port listens.
wait_ports() {
  local deadline=$((SECONDS + $1)) port
  shift
  for port in "$@"; do
    until port_open "$port"; do
      ((SECONDS < deadline)) || return 1
      sleep 0.1
    done
  done
}

# wait_ports_closed SECONDS PORT... : true once no port listens.
wait_ports_closed() {
  local deadline=$((SECONDS + $1)) port
  shift
  for port in "$@"; do
    while port_open "$port"; do
      ((SECONDS < deadline)) || return 1
      sleep 0.1
    done
  done
}

# Names what listens on the given ports, for an error message.
port_users() {
  local port
  for port in "$@"; do
    port_open "$port" || continue
    printf ' %s:%s' "$HOST" "$port"
    if command -v ss >/dev/null 2>&1; then
      ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -n 1 | sed 's/^/ /' || true
    fi
  done
}

dovecot_pid() {
  local pid
  [[ -r $DC_RUN/master.pid ]] || return 1
  read -r pid <"$DC_RUN/master.pid" || return 1
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" dovecot && echo "$pid"
}

dovecot_healthy() {
  [[ -S $DC_RUN/lmtp && -S $DC_RUN/auth-postfix ]] && wait_ports "$1" "$IMAP_PORT" "$IMAPS_PORT"
}

# `postfix status` tests the lock that the master process holds on its pid
# file, so a dead (or zombie) master never looks alive.
postfix_running() {
  [[ -f $PF_CONF/main.cf ]] && command -v postfix >/dev/null 2>&1 &&
    postfix -c "$PF_CONF" status >/dev/null 2>&1
}

# ---------------------------------------------------------------- install

POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0
cleanup() { if ((POLICY_RC_OURS)); then rm -f "$POLICY_RC"; fi; }
trap cleanup EXIT

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=("$p")
  done
  ((${#missing[@]})) || return 0

  say "installing ${missing[*]} from Debian's packages (about 30 s)"
  # Install Postfix without writing /etc/postfix/main.cf: this stack has its own.
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  # Keep the packages' scripts from starting system-wide daemons on 25/143/993.
  # An existing policy-rc.d (Docker-style images have one) is left as it is.
  if [[ ! -e $POLICY_RC ]]; then
    printf '#!/bin/sh\n# mailstack.sh: no daemon starts while packages install\nexit 101\n' >"$POLICY_RC"
    chmod 755 "$POLICY_RC"
    POLICY_RC_OURS=1
  fi
  local log=$BASE/apt.log
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if ! "${apt[@]}" install --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    say "apt-get install failed; running apt-get update and trying once more"
    "${apt[@]}" update >>"$log" 2>&1 || true
    "${apt[@]}" install --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || {
      tail -n 20 "$log" >&2
      die "could not install ${missing[*]} (whole log: $log)"
    }
  fi
  cleanup
  POLICY_RC_OURS=0
  for p in postfix dovecot dovenull; do
    id "$p" >/dev/null 2>&1 || die "user '$p' is missing after installing the packages"
  done
}

# ---------------------------------------------------------------- files

POSTFIX_CHANGED=0
DOVECOT_CHANGED=0

# put WHO PATH MODE < content: writes PATH only if its content differs, so
# that an unchanged stack is neither rewritten nor reloaded (a Postfix reload
# costs about 2 s). WHO (postfix or dovecot) is marked as changed.
put() {
  local who=$1 path=$2 mode=$3 tmp
  tmp=$(mktemp "$path.XXXXXX")
  cat >"$tmp"
  if [[ -f $path ]] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    return 0
  fi
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
  case $who in
  postfix) POSTFIX_CHANGED=1 ;;
  dovecot) DOVECOT_CHANGED=1 ;;
  esac
}

make_dirs() {
  install -d -m 755 -o root -g root "$BASE" "$TLS_DIR" "$PF_CONF" "$DC_DIR"
  install -d -m 755 -o root -g root "$PF_QUEUE"
  install -d -m 700 -o postfix -g postfix "$PF_DATA"
  install -d -m 755 -o root -g root "$DC_RUN"
  install -d -m 750 -o mail -g mail "$MAIL_HOMES"
  local entry
  for entry in "${USERS[@]}"; do
    install -d -m 700 -o mail -g mail "$MAIL_HOMES/${entry%%:*}"
  done
}

# True if the certificate and key exist, belong together and the certificate
# is good for at least another day. (A broken one would only show at the
# first TLS handshake: both daemons start without reading it.)
cert_usable() {
  [[ -s $CERT && -s $KEY ]] || return 1
  openssl x509 -in "$CERT" -noout -checkend 86400 >/dev/null 2>&1 || return 1
  [[ $(openssl x509 -in "$CERT" -noout -pubkey 2>/dev/null) == \
    "$(openssl pkey -in "$KEY" -pubout 2>/dev/null)" ]]
}

# A self-signed certificate that rustls accepts as a server's own when the
# tests add it as their only root. A default `openssl req -x509` certificate is
# a CA (CA:TRUE) and rustls refuses it as a leaf (CaUsedAsEndEntity).
# Made once, and again only if it is missing, broken or about to expire.
make_cert() {
  cert_usable && return 0
  say "making a self-signed certificate for localhost and 127.0.0.1"
  cat >"$TLS_DIR/openssl.cnf" <<'EOF'
[req]
prompt = no
distinguished_name = dn
x509_extensions = leaf

[dn]
CN = localhost
O = redeemdesk test mail stack

[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -config "$TLS_DIR/openssl.cnf" \
    -keyout "$KEY.new" -out "$CERT.new" 2>"$TLS_DIR/openssl.log" ||
    die "openssl could not make the certificate: $(cat "$TLS_DIR/openssl.log")"
  chmod 600 "$KEY.new"
  chmod 644 "$CERT.new"
  mv -f "$KEY.new" "$KEY"
  mv -f "$CERT.new" "$CERT"
  POSTFIX_CHANGED=1 DOVECOT_CHANGED=1
}

write_dovecot() {
  local entry user pass
  # Not `{ …; } | put`: a pipeline runs put in a subshell, which would lose
  # its note that the file changed (and so the reload).
  put dovecot "$DC_USERS" 644 < <(
    for entry in "${USERS[@]}"; do
      user=${entry%%:*} pass=${entry#*:}
      # user:password:uid:gid:gecos:home:shell; uid/gid 8 is Debian's `mail`.
      echo "$user@$DOMAIN:{PLAIN}$pass:8:8::$MAIL_HOMES/$user::"
    done
  )

  put dovecot "$DC_CONF" 644 <<EOF
# Generated by scripts/mailstack.sh; edits are overwritten.
# Self-contained: nothing from /etc/dovecot is read.
instance_name = redeemdesk-mail
base_dir = $DC_RUN
state_dir = $DC_DIR/state
log_path = $DC_LOG
protocols = imap lmtp
listen = $HOST

ssl = yes
ssl_cert = <$CERT
ssl_key = <$KEY

# Loopback only, and the tests log in over plain IMAP on $IMAP_PORT.
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password (a test may try one) must not slow down the next logins:
# no fixed delay, and no anvil penalty (that one adds 4-15 s per failure).
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $DC_USERS
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $DC_USERS
}
# Mail is owned by Debian's \`mail\` user (uid 8), below the default minimum 500.
first_valid_uid = 8

mail_location = maildir:~/Maildir
# support+TOKEN@$DOMAIN is delivered to support's INBOX (not to a TOKEN folder);
# the tagged address stays in Delivered-To.
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no

namespace inbox {
  inbox = yes
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Junk {
    special_use = \\Junk
  }
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Trash {
    special_use = \\Trash
  }
}

protocol imap {
  # Tests run in parallel, all as the same users from 127.0.0.1 (default 10).
  mail_max_userip_connections = 200
}

service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = $IMAPS_PORT
    ssl = yes
  }
}
service imap {
  process_limit = 512
}

# Postfix's lmtp client and smtpd run as the postfix user.
service lmtp {
  unix_listener lmtp {
    mode = 0600
    user = postfix
    group = postfix
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
}

write_postfix() {
  local entry
  put postfix "$PF_CONF/recipients" 644 < <(
    echo "# Generated by scripts/mailstack.sh: the only recipients Postfix accepts."
    for entry in "${USERS[@]}"; do
      echo "${entry%%:*}@$DOMAIN OK"
    done
  )

  put postfix "$PF_CONF/main.cf" 644 <<EOF
# Generated by scripts/mailstack.sh; edits are overwritten.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
# No syslog on this machine: log to a file (its folder must be listed in
# maillog_file_prefixes). master.cf runs the postlog service that writes it.
maillog_file_prefixes = /var, /dev/stdout, $BASE
maillog_file = $PF_LOG

# The machine's hostname is no FQDN and there is no DNS.
myhostname = mail.$DOMAIN
mydomain = $DOMAIN
myorigin = $DOMAIN
smtpd_peername_lookup = no
inet_interfaces = loopback-only
inet_protocols = ipv4
# Only so that anvil's limits never throttle the tests (exceptions default to
# \$mynetworks); it grants no relaying, see smtpd_relay_restrictions.
mynetworks = 127.0.0.0/8

# The only destination: $DOMAIN, handed to Dovecot over its LMTP socket.
# Unknown users are refused at RCPT with 550 5.1.1.
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$PF_CONF/recipients
virtual_transport = lmtp:unix:$DC_RUN/lmtp
recipient_delimiter = +

# No local delivery and no relaying: nothing leaves the machine.
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
local_transport = error:local delivery is disabled in the test mail stack
relayhost =
relay_domains =
default_transport = error:outbound mail is disabled in the test mail stack
relay_transport = error:outbound mail is disabled in the test mail stack
# Mail to other domains is refused ("554 Relay access denied"), even after
# AUTH, rather than accepted and bounced.
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions =

# SMTP AUTH through Dovecot, so one login serves IMAP and SMTP. Enabled per
# port in master.cf.
smtpd_sasl_type = dovecot
smtpd_sasl_path = $DC_RUN/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous
smtpd_tls_cert_file = $CERT
smtpd_tls_key_file = $KEY
smtpd_tls_security_level = none
smtpd_tls_auth_only = no

# Test speed: no pause after client errors or when mail arrives in bursts,
# and retry a failed delivery (say, Dovecot was restarted) within seconds.
smtpd_error_sleep_time = 0s
in_flow_delay = 0s
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 30s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h

biff = no
append_dot_mydomain = no
readme_directory = no
EOF

  # chroot = n everywhere: a chrooted process could not reach Dovecot's
  # sockets by their absolute path.
  put postfix "$PF_CONF/master.cf" 644 <<EOF
# Generated by scripts/mailstack.sh; edits are overwritten.
# service type  private unpriv  chroot  wakeup  maxproc command + args
# Plain SMTP: no TLS; AUTH allowed (loopback only); unauthenticated mail is
# accepted for $DOMAIN.
$HOST:$SMTP_PORT inet n - n - - smtpd
  -o syslog_name=postfix/smtp-$SMTP_PORT
  -o smtpd_sasl_auth_enable=yes
# Submission: STARTTLS required before anything else, AUTH offered after it.
$HOST:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission-$SUBMISSION_PORT
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
# Submissions: TLS from the first byte, AUTH.
$HOST:$SMTPS_PORT inet n - n - - smtpd
  -o syslog_name=postfix/smtps-$SMTPS_PORT
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# ---------------------------------------------------------------- start / stop

start_dovecot() {
  local pid
  if pid=$(dovecot_pid); then
    if ((DOVECOT_CHANGED)); then
      say "dovecot: configuration or certificate changed, reloading"
      kill -HUP "$pid"
    fi
    if dovecot_healthy 5; then
      DOVECOT_STATE="already running"
      ((DOVECOT_CHANGED)) && DOVECOT_STATE=reloaded
      return 0
    fi
    say "dovecot: running but not answering, restarting it"
    stop_dovecot
  fi
  # A master.pid left by a killed Dovecot makes it refuse to start.
  rm -f "$DC_RUN/master.pid"
  # Children of a killed Dovecot may hold the ports for a moment.
  wait_ports_closed 5 "$IMAP_PORT" "$IMAPS_PORT" ||
    die "cannot start dovecot, port taken by another program:$(port_users "$IMAP_PORT" "$IMAPS_PORT")"
  dovecot -c "$DC_CONF" 2>"$DC_DIR/start.err" 9>&- ||
    fail "$DC_LOG" "dovecot did not start: $(cat "$DC_DIR/start.err")"
  dovecot_healthy 10 || fail "$DC_LOG" "dovecot started but does not answer on $HOST:$IMAP_PORT/$IMAPS_PORT"
  DOVECOT_STATE=started
}

stop_dovecot() {
  local pid i
  if pid=$(dovecot_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      alive "$pid" dovecot || break
      sleep 0.1
    done
    if alive "$pid" dovecot; then
      say "dovecot: still running after 10 s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # The master's children (imap sessions, log, stats) can outlive it; a stop
  # must end client sessions too, as a real server restart does.
  pkill -TERM -f '^dovecot-redeemdesk-mail/' 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pgrep -f '^dovecot-redeemdesk-mail/' >/dev/null 2>&1 || break
    sleep 0.1
  done
  pkill -KILL -f '^dovecot-redeemdesk-mail/' 2>/dev/null || true
  # Dovecot would otherwise find its old pid still in use (a zombie, or
  # another process after a reboot) and say it is already running.
  rm -f "$DC_RUN/master.pid"
  wait_ports_closed 5 "$IMAP_PORT" "$IMAPS_PORT" ||
    say "warning: something still listens on $HOST:$IMAP_PORT or $IMAPS_PORT"
}

# Postfix prints its own start-up errors only to a terminal (its log daemon
# is not running yet), so `postfix start` fails silently in a script: on
# failure, run `postfix check` again through a pseudo-terminal to get the reason.
postfix_why() {
  cat "$BASE/postfix-start.err"
  if command -v script >/dev/null 2>&1; then
    script -qec "postfix -c $PF_CONF check" /dev/null </dev/null 2>&1 | tr -d '\r' | tail -n 5
  fi
}

start_postfix() {
  if postfix_running; then
    if ((POSTFIX_CHANGED)); then
      say "postfix: configuration or certificate changed, reloading"
      postfix -c "$PF_CONF" reload >"$BASE/postfix-start.err" 2>&1 ||
        fail "$PF_LOG" "postfix reload failed: $(postfix_why)"
    fi
    if wait_ports 5 "$SMTP_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT"; then
      POSTFIX_STATE="already running"
      ((POSTFIX_CHANGED)) && POSTFIX_STATE=reloaded
      return 0
    fi
    say "postfix: running but not answering, restarting it"
    stop_postfix
  fi
  wait_ports_closed 5 "$SMTP_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT" ||
    die "cannot start postfix, port taken by another program:$(port_users "$SMTP_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT")"
  postfix -c "$PF_CONF" start >"$BASE/postfix-start.err" 2>&1 9>&- ||
    fail "$PF_LOG" "postfix did not start: $(postfix_why)"
  wait_ports 10 "$SMTP_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT" ||
    fail "$PF_LOG" "postfix started but does not answer on $HOST:$SMTP_PORT/$SUBMISSION_PORT/$SMTPS_PORT"
  POSTFIX_STATE=started
}

stop_postfix() {
  # `postfix stop` waits for the master itself, with the pid-file lock test.
  if postfix_running; then
    postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true
  fi
  wait_ports_closed 5 "$SMTP_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT" ||
    say "warning: something still listens on $HOST:$SMTP_PORT, $SUBMISSION_PORT or $SMTPS_PORT"
}

summary() {
  local smtp="smtp $HOST:$SMTP_PORT (plain) $SUBMISSION_PORT (starttls) $SMTPS_PORT (tls)"
  local imap="imap $HOST:$IMAP_PORT (plain) $IMAPS_PORT (tls)"
  say "postfix up ($POSTFIX_STATE): $smtp; domain $DOMAIN; log $PF_LOG"
  say "dovecot up ($DOVECOT_STATE): $imap; users $DC_USERS; log $DC_LOG"
  say "$smtp; $imap; cert $CERT"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  install_packages
  make_dirs
  make_cert
  write_dovecot
  write_postfix
  # Dovecot first: Postfix hands mail and AUTH to its sockets.
  start_dovecot
  start_postfix
  summary
}

cmd_stop() {
  stop_postfix
  stop_dovecot
  say "stopped"
}

cmd_status() {
  local ok=0
  if postfix_running && wait_ports 0 "$SMTP_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT"; then
    say "postfix up: smtp $HOST:$SMTP_PORT (plain) $SUBMISSION_PORT (starttls) $SMTPS_PORT (tls)"
  else
    say "postfix down"
    ok=1
  fi
  if dovecot_pid >/dev/null && dovecot_healthy 0; then
    say "dovecot up: imap $HOST:$IMAP_PORT (plain) $IMAPS_PORT (tls)"
  else
    say "dovecot down"
    ok=1
  fi
  return "$ok"
}

cmd_env() {
  cat <<EOF
MAILSTACK_DIR=$BASE
MAILSTACK_HOST=$HOST
MAILSTACK_SMTP_PORT=$SMTP_PORT
MAILSTACK_SUBMISSION_PORT=$SUBMISSION_PORT
MAILSTACK_SMTPS_PORT=$SMTPS_PORT
MAILSTACK_IMAP_PORT=$IMAP_PORT
MAILSTACK_IMAPS_PORT=$IMAPS_PORT
MAILSTACK_DOMAIN=$DOMAIN
MAILSTACK_CERT=$CERT
EOF
}

cmd_clean() {
  cmd_stop
  rm -rf "$BASE"
  say "deleted $BASE"
}

usage() { echo "usage: bash scripts/mailstack.sh start|stop|status|env|clean" >&2; }

main() {
  local cmd=${1:-}
  check_base
  case $cmd in
  env) cmd_env; return ;;
  start | stop | status | clean) ;;
  *) usage; return 2 ;;
  esac
  need_root "$@"
  if [[ ! -d $BASE ]]; then
    case $cmd in
    stop | clean) say "nothing to do: $BASE does not exist"; return 0 ;;
    status) say "down: $BASE does not exist"; return 1 ;;
    esac
    mkdir -p "$BASE"
  fi
  if [[ $cmd == start ]]; then
    : >>"$MARKER"
  elif [[ $cmd == clean && ! -f $MARKER ]]; then
    die "$BASE was not made by this script; not deleting it"
  fi
  # One at a time: parallel test runs may all call `start`. The daemons are
  # started with fd 9 closed, or they would hold this lock for ever.
  exec 9>"$BASE/.lock"
  flock 9
  "cmd_$cmd"
}

main "$@"
