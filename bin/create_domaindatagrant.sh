#!/bin/sh
# Usage: create_domaindatagrant.sh DOMAIN_ID DOMAINDATA_ID GRANT_DOMAIN
#
# Grant DomainData DOMAINDATA_ID of DOMAIN_ID to GRANT_DOMAIN through the node's KusciaAPI.
#
# Replaces the P2P guide's curl to /api/v1/domaindatagrant/create: the same request body,
# {"grant_domain":GRANT_DOMAIN,"description":{"domaindatagrant":"DOMAIN_ID-GRANT_DOMAIN"},
# "domain_id":DOMAIN_ID,"domaindata_id":DOMAINDATA_ID}, sent the same way (token read from
# var/certs/token, never on a command line; client certificate kusciaapi-client.crt/.key if
# the node has one, else ca.crt/.key; server verified against ca.crt). Prints
# 'domaindatagrant GRANT_ID created'.
#
# Running it again creates no second grant: it first lists DOMAIN_ID's grants to GRANT_DOMAIN
# and, when one already grants DOMAINDATA_ID, prints 'domaindatagrant GRANT_ID unchanged'
# (upstream's curl makes a new grant with a random ID each time). For your own grant IDs and
# descriptions, use `kc grant create`.
#
# Environment: KUSCIA_ROOT, KC_KUSCIAAPI (the KusciaAPI URL; default 127.0.0.1 at
# kuscia.yaml's kusciaAPI.HTTPPort, http only for protocol NOTLS), KC_DRY_RUN=1 (print the
# request body as one line of JSON, contact nothing).
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
case $# in
0) kc_usage "$KC_EUSAGE" "missing argument: DOMAIN_ID -- e.g. create_domaindatagrant.sh alice alice-table bob" ;;
1) kc_usage "$KC_EUSAGE" "missing argument: DOMAINDATA_ID -- e.g. create_domaindatagrant.sh $1 $1-table bob" ;;
2) kc_usage "$KC_EUSAGE" "missing argument: GRANT_DOMAIN -- the domain to grant '$2' to" ;;
esac
[ $# -eq 3 ] || kc_usage "$KC_EUSAGE" "too many arguments: '$4' -- give DOMAIN_ID DOMAINDATA_ID GRANT_DOMAIN"
kc_check_id DOMAIN_ID "$1"
kc_check_id GRANT_DOMAIN "$3"
[ "$1" != "$3" ] ||
	kc_die "$KC_EINPUT" "cannot grant '$2' of domain '$1' to '$1' itself -- give the peer that may use it as GRANT_DOMAIN"
exec kc-grant create --domain "$1" --data "$2" --to "$3" \
	--desc "domaindatagrant=$1-$3" --if-absent
