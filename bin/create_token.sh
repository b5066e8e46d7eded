#!/bin/sh
# Usage: create_token.sh DOMAIN_ID
#
# Print a service-account token for DOMAIN_ID, valid 10 years (87600h).
#
# The token is for service account DOMAIN_ID in namespace DOMAIN_ID of this node's cluster,
# requested through the TokenRequest API as `kubectl create token` does; Kuscia puts the same
# kind of token into the Authorization header of a partner's route. The token goes to stdout
# only: keep it out of logs. As `kubectl create token`, it prints no line break after the token,
# unless stdout is a terminal.
#
# Environment: KUSCIA_ROOT, KC_DRY_RUN=1 (print the TokenRequest as JSON, request nothing).
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
[ -n "${1:-}" ] || kc_usage "$KC_EUSAGE" "missing argument: DOMAIN_ID -- the domain whose service account gets the token, e.g. create_token.sh bob"
kc_check_id DOMAIN_ID "$1"
id=$1
# kubectl create token prints the token without a line break: so do we, but for a person
set -- --no-newline
[ ! -t 1 ] || set --
exec kc-token sa "$id" --duration 87600h "$@"
