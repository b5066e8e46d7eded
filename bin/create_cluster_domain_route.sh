#!/bin/sh
# Usage: create_cluster_domain_route.sh SRC_DOMAIN DEST_DOMAIN DEST_ENDPOINT(http(s)://ip:port) [TRANSIT_DOMAIN]
#
# Create the route SRC_DOMAIN-DEST_DOMAIN (centralized master/lite mode).
#
# DEST_ENDPOINT is http(s)://HOST:PORT[/PATH] (no scheme means http), checked before anything
# is applied. A TRANSIT_DOMAIN routes through that domain (THIRD-DOMAIN). Unlike upstream, the
# route carries no "Authorization: Bearer {{.TOKEN}}" header with the placeholder unfilled.
#
# Environment: KUSCIA_ROOT, KC_DRY_RUN=1 (print the route as JSON, apply nothing),
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
if [ -z "${1:-}" ] || [ -z "${2:-}" ] || [ -z "${3:-}" ]; then
	kc_usage "$KC_EUSAGE" "missing argument: SRC_DOMAIN, DEST_DOMAIN and DEST_ENDPOINT are required -- e.g. create_cluster_domain_route.sh alice bob http://3.3.3.3:38080"
fi
src=$1 dest=$2 endpoint=$3 transit=${4:-}
kc_check_id SRC_DOMAIN "$src"
kc_check_id DEST_DOMAIN "$dest"
[ -z "$transit" ] || kc_check_id TRANSIT_DOMAIN "$transit"
ep=$(kc-route-check endpoint -- "$endpoint")
read -r ep_host ep_port ep_path ep_tls <<EOF_EP
$ep
EOF_EP
# shellcheck disable=SC2317 # called through kc_apply_from
route() { # the ClusterDomainRoute (kc-apply connects meanwhile)
	if [ -n "$transit" ]; then
		kc-render cluster_domain_route_transit.json SRC_DOMAIN="$src" DEST_DOMAIN="$dest" \
			HOST="$ep_host" PORT="$ep_port" PATH="$ep_path" ISTLS="$ep_tls" \
			TRANSIT_DOMAIN="$transit" AUTHORIZATION=
	else
		kc-render cluster_domain_route.json SRC_DOMAIN="$src" DEST_DOMAIN="$dest" \
			INTERCONN_PROTOCOL=kuscia HOST="$ep_host" PORT="$ep_port" PATH="$ep_path" \
			ISTLS="$ep_tls" AUTHORIZATION=
	fi
}
kc_apply_from route
