#!/bin/sh
# Usage: add_domain.sh DOMAIN_ID [ROLE] [INTERCONN_PROTOCOL] [MASTER_DOMAIN_ID]
#
# Register a peer domain: apply its Domain carrying var/certs/DOMAIN_ID.domain.crt.
#
# ROLE p2p registers a partner with INTERCONN_PROTOCOL (default kuscia): the P2P guide's
# `add_domain.sh bob p2p`. Any other ROLE registers an embedded domain, as upstream does, and
# says so. MASTER_DOMAIN_ID defaults to DOMAIN_ID. The certificate must be a PEM X.509 with an
# RSA key and CN = DOMAIN_ID, first in the file and with no private key beside it (copy the
# peer's var/certs/domain.crt, or `kc cert import`).
#
# Environment: KUSCIA_ROOT, KC_DRY_RUN=1 (print the Domain as JSON, apply nothing),
# KC_APPLY=kubectl (apply with kubectl).
set -eu
case $0 in */*) kc_here=${0%/*} ;; *) kc_here=. ;; esac
kc_here=$(CDPATH='' cd -- "$kc_here" && pwd -P)
if [ -z "${KC_LIBEXEC:-}" ]; then
	KC_LIBEXEC=$kc_here/../libexec/kc
	[ -d "$KC_LIBEXEC" ] || KC_LIBEXEC=$kc_here/../libexec
fi
# shellcheck source=../libexec/kc-lib.sh
. "$KC_LIBEXEC/kc-lib.sh"

case ${1:-} in
-h | --help) kc_help; exit 0 ;;
esac
[ -n "${1:-}" ] || kc_usage "$KC_EUSAGE" "missing argument: DOMAIN_ID -- name the peer domain, e.g. add_domain.sh bob p2p"
id=$1 role=${2:-} proto=${3:-} master=${4:-}
[ -n "$proto" ] || proto=kuscia
[ -n "$master" ] || master=$id
kc_check_id DOMAIN_ID "$id"
kc_check_id MASTER_DOMAIN_ID "$master"
if [ "$role" = p2p ]; then
	case $proto in
	*[!A-Za-z0-9._-]*) kc_die "$KC_EINPUT" "invalid INTERCONN_PROTOCOL '$proto': it is not a protocol name -- use kuscia or bfia" ;;
	esac
	role=partner
else
	if [ -z "$role" ]; then
		kc_warn "no ROLE given: '$id' is registered as an embedded domain, not a partner -- run 'add_domain.sh $id p2p' to pair with a peer"
	else
		kc_warn "ROLE is '$role', not p2p: '$id' is registered as an embedded domain, not a partner -- run 'add_domain.sh $id p2p' to pair with a peer"
	fi
	role='' proto=''
fi
crt=$KUSCIA_ROOT/var/certs/$id.domain.crt
[ -e "$crt" ] || kc_die "$KC_EINPUT" "no certificate for '$id': '$crt' does not exist -- copy $id's var/certs/domain.crt there first (kc cert import $id FILE)"
# shellcheck disable=SC2317 # called through kc_apply_from
domain() { # the certificate checked, then the Domain (kc-apply connects meanwhile)
	# kc-cert b64 also refuses a file whose first PEM block is not the certificate (Kuscia reads
	# only that one) or that holds a private key (a Domain is readable cluster-wide)
	cert=$(kc-cert b64 --domain "$id" -- "$crt") || return # (errexit is off here in bash)
	kc-render domain.json DOMAIN_ID="$id" CERT="$cert" ROLE="$role" MASTER="$master" \
		INTERCONN_PROTOCOL="$proto"
}
kc_apply_from domain
