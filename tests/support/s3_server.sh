#!/usr/bin/env bash
# s3_server.sh: a real S3 server for the tests, on loopback, in a temporary directory: Debian's
# Ceph (radosgw) on a single-node cluster (one monitor, one OSD on `memstore`, so nothing touches
# a disk but the monitor's small database). No mock: the gateway checks every SigV4 signature.
#
#   s3_server.sh start DIR   starts it; writes DIR/endpoint, DIR/bucket, DIR/access_key,
#                            DIR/secret_key (what the tests read, given TUCAI_S3_DIR=DIR), and
#                            prints the same as `export TUCAI_TEST_S3_*=...` lines (DIR/env)
#   s3_server.sh stop DIR    stops every daemon it started (by their pid files) and removes DIR
#
# Ports are picked free at start, so several runs can share a machine. Start is bounded
# (S3_START_TIMEOUT seconds, default 120) and its time is printed on stderr. Auth inside the
# cluster is off (loopback only, a throwaway cluster); the S3 users and signatures are real.
set -euo pipefail
cmd=${1:-}
DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

stop() {
  [ -d "$DIR" ] || return 0
  for pf in "$DIR"/run/*.pid; do
    [ -f "$pf" ] || continue
    pid=$(cat "$pf" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  # Give them a moment to go, then insist: a test run must not leave daemons behind (the OSD
  # keeps everything in memory, so there is nothing a hard stop could lose).
  for _ in $(seq 1 20); do
    alive=0
    for pf in "$DIR"/run/*.pid; do
      [ -f "$pf" ] || continue
      pid=$(cat "$pf" 2>/dev/null || true)
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pf in "$DIR"/run/*.pid; do
    [ -f "$pf" ] || continue
    pid=$(cat "$pf" 2>/dev/null || true)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  done
  [ "${1:-}" = keep ] || rm -rf "$DIR"
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
for t in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph curl; do
  command -v $t >/dev/null || { echo "s3_server: $t is missing (Debian ceph-mon ceph-osd radosgw ceph-common curl; scripts/install.sh)" >&2; exit 3; }
done

t0=$(date +%s.%N)
LIMIT=${S3_START_TIMEOUT:-120}
deadline=$(( $(date +%s) + LIMIT ))
stop # daemons of an earlier run that was killed before its stop

mkdir -p "$DIR"/{run,log,mon/ceph-a,osd/ceph-0}
DIR=$(cd "$DIR" && pwd)
MON_PORT=$(free_port)
RGW_PORT=$(free_port)
FSID=$(uuidgen)
CONF="$DIR/ceph.conf"
cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
keyring = $DIR/keyring
mon data = $DIR/mon/\$cluster-\$id
osd data = $DIR/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 536870912
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon max pg per osd = 1000
mon allow pool delete = true
mon allow pool size one = true
mon data avail crit = 1
mon data avail warn = 2
mon warn on pool no redundancy = false
osd memory target = 268435456
osd op num shards = 1
osd op num threads per shard = 1
osd max object size = 134217728
[client.rgw.a]
# radosgw's own defaults ask for a cephx-secured monitor connection; this cluster runs without auth.
ms mon client mode = crc
auth client required = none
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw dns name = localhost
rgw thread pool size = 16
rgw enable usage log = false
rgw data = $DIR/run
EOF
: >"$DIR/keyring"
trap 'echo "s3_server: start failed; logs in $DIR/log" >&2; tail -n 20 "$DIR"/log/*.log >&2 2>/dev/null || true; stop keep; exit 1' ERR

waitfor() { # waitfor WHAT CMD...: retries CMD until it succeeds or the start deadline passes
  local what=$1; shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "s3_server: timed out after ${LIMIT}s waiting for $what" >&2; false; }
    sleep 0.3
  done
}

monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" >/dev/null 2>&1
ceph-mon -c "$CONF" -i a
C="timeout 20 ceph -c $CONF --connect-timeout 5"
waitfor "the monitor" $C mon stat
OSD_UUID=$(uuidgen)
$C osd new "$OSD_UUID" >/dev/null
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >/dev/null 2>&1
ceph-osd -c "$CONF" -i 0
osd_up() { $C osd stat -f json | grep -q '"num_up_osds":1'; }
waitfor "the OSD" osd_up
radosgw -c "$CONF" -n client.rgw.a
AK=$(head -c 10 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
SK=$(head -c 30 /dev/urandom | base64 | tr -d '/+=\n')
# The gateway makes its pools on first start; the user can be made once they exist.
mkuser() { timeout 20 radosgw-admin -c "$CONF" user create --uid=tucai --display-name=tucai --access-key="$AK" --secret-key="$SK"; }
waitfor "the gateway's pools" mkuser
printf '%s' "$AK" >"$DIR/access_key"
printf '%s' "$SK" >"$DIR/secret_key"
chmod 600 "$DIR/access_key" "$DIR/secret_key"
ENDPOINT="http://127.0.0.1:$RGW_PORT"
BUCKET=tucai-test
mkbucket() { curl -sf --max-time 10 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
  -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" -X PUT "$ENDPOINT/$BUCKET"; }
waitfor "the gateway" mkbucket
trap - ERR
t1=$(date +%s.%N)
echo "s3_server: radosgw ready at $ENDPOINT in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s" >&2
printf '%s' "$ENDPOINT" >"$DIR/endpoint"
printf '%s' "$BUCKET" >"$DIR/bucket"
cat >"$DIR/env" <<EOF
export TUCAI_TEST_S3_ENDPOINT=$ENDPOINT
export TUCAI_TEST_S3_BUCKET=$BUCKET
export TUCAI_TEST_S3_REGION=us-east-1
export TUCAI_TEST_S3_ACCESS_KEY_FILE=$DIR/access_key
export TUCAI_TEST_S3_SECRET_KEY_FILE=$DIR/secret_key
export TUCAI_TEST_S3_DIR=$DIR
EOF
cat "$DIR/env"
