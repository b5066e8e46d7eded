#!/bin/sh
# Usage: create_domaindata_bob_table.sh DOMAIN_ID
#
# Register the demo table bob-table (bob.csv) as DomainData in namespace DOMAIN_ID.
#
# Environment: KUSCIA_ROOT, KC_DRY_RUN=1 (print the DomainData as JSON, apply nothing),
# KC_APPLY=kubectl.
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
[ -n "${1:-}" ] || kc_usage "$KC_EUSAGE" "missing argument: DOMAIN_ID -- the domain that owns the table, e.g. create_domaindata_bob_table.sh bob"
kc_check_id DOMAIN_ID "$1"
kc_apply_from kc-render domaindata_bob_table.json DOMAIN_ID="$1"
