#!/bin/sh
# Usage: init_kusciaapi_client_certs.sh
#
# Issue the KusciaAPI client key and certificate (CN=KusciaAPIClient) from the node's CA.
#
# In $KUSCIA_ROOT/var/certs: a new kusciaapi-client.key (RSA-2048, PKCS#8, mode 0600),
# kusciaapi-client.csr and kusciaapi-client.crt signed by ca.crt and ca.key (SHA-256,
# 1000 days), and ca.srl, as upstream; existing client files are replaced. ca.crt and ca.key
# are checked first: when either is missing or they do not match, nothing is written.
# Arguments are ignored, as upstream.
#
# Environment: KUSCIA_ROOT, KC_DRY_RUN=1 (check all that, write nothing).
set -eu
case $0 in */*) kc_here=${0%/*} ;; *) kc_here=. ;; esac
kc_here=$(CDPATH='' cd -- "$kc_here" && pwd -P)
if [ -z "${KC_LIBEXEC:-}" ]; then
	KC_LIBEXEC=$kc_here/../libexec/kc
	[ -d "$KC_LIBEXEC" ] || KC_LIBEXEC=$kc_here/../libexec
fi
# shellcheck source=../libexec/kc-lib.sh
. "$KC_LIBEXEC/kc-lib.sh"

why() { # TEXT: the first line of a helper's message, without its 'NAME: ' prefix
	printf '%s\n' "$1" | sed -n "1{s/^kc-[a-z-]*: //;s/^$kc_prog: //;p;}"
}

case ${1:-} in
-h | --help) kc_help; exit 0 ;;
esac
certs=$KUSCIA_ROOT/var/certs
# upstream makes var/certs when it is missing, then fails for want of ca.crt: we only fail
[ -d "$KUSCIA_ROOT" ] ||
	kc_die "$KC_ESYS" "KUSCIA_ROOT '$KUSCIA_ROOT' is not a folder -- set KUSCIA_ROOT to the node's Kuscia home"
[ -d "$certs" ] ||
	kc_die "$KC_ESYS" "'$certs' does not exist -- start Kuscia once (it makes ca.crt and ca.key there), or set KUSCIA_ROOT"
set -- --force
# KC_DRY_RUN: every check, nothing written
! kc_dry_run || set -- --force --dry-run
rc=0
err=$(kc-cert client "$@" 2>&1 >/dev/null) || rc=$?
case $rc in
0) [ -z "$err" ] || printf '%s\n' "$err" >&2 ;;
"$KC_ESYS")
	case $(why "$err") in
	*" -- "*) kc_die "$rc" "$(why "$err")" ;;
	"cannot read '"*"/ca.srl'"*) kc_die "$rc" "$(why "$err") -- move it away: a new one is then started" ;;
	"cannot read "*) ;;
	*) kc_die "$rc" "$(why "$err") -- check the permissions and free space of '$certs'" ;;
	esac
	kc_die "$rc" "$(why "$err") -- run it on a node Kuscia has started (it makes ca.crt and ca.key), or set KUSCIA_ROOT" ;;
"$KC_EINPUT")
	case $(why "$err") in
	*"holds no serial number") kc_die "$rc" "$(why "$err") -- remove it: the next serial is then chosen at random, as openssl -CAcreateserial does" ;;
	esac
	kc_die "$rc" "$(why "$err") -- restore the node's own ca.crt and ca.key" ;;
*) kc_die "$rc" "cannot make the client certificate: $(why "$err") -- run 'kc cert client --force' to see more" ;;
esac
