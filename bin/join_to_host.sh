#!/bin/sh
# Usage: join_to_host.sh SELF_DOMAIN_ID HOST_DOMAIN_ID HOST_ENDPOINT [-p PROTOCOL] [-a MTLS|Token|None] [-t TOKEN] [-x TRANSIT_DOMAIN_ID] [-k ARG] [-i ARG]
#
# Create the route from this domain to a peer: the ClusterDomainRoute SELF-HOST.
#
# HOST_ENDPOINT is the peer's public gateway, http(s)://HOST:PORT[/PATH] (no scheme means
# http); it is checked before anything is applied (kc route-check endpoint).
#
# Options (after the three operands, as upstream):
#   -p PROTOCOL  interconnection protocol, default kuscia; an empty one leaves it out of the
#                route, as upstream (Kuscia reads that as kuscia); ignored with -x, as
#                upstream, with a warning
#   -a TYPE      MTLS (default), Token or None; checked, but as upstream the route always
#                uses Token authentication; Token needs -t
#   -t TOKEN     adds "Authorization: Bearer TOKEN" to the route's request headers
#                (argv is visible to other local users: prefer `kc peer add`)
#   -x DOMAIN    route through the transit domain DOMAIN (THIRD-DOMAIN)
#   -k ARG, -i ARG  accepted for compatibility and ignored, as upstream
#   -h           show this help
#
# Then wait for `kubectl get cdr SELF-HOST` to show READY True (kc route-check).
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
[ $# -ge 3 ] || kc_usage "$KC_EUSAGE" "missing arguments: SELF_DOMAIN_ID HOST_DOMAIN_ID HOST_ENDPOINT are required -- e.g. join_to_host.sh alice bob https://2.2.2.2:21080"
self=$1 host=$2 endpoint=$3
shift 3
proto=kuscia has_proto='' auth=MTLS token='' has_token='' transit=''
# no KC_DEBUG trace while the token is in a variable: it resumes once the token is in its file
{ set +x; } 2>/dev/null
while getopts ':p:a:t:x:k:i:h' opt; do
	case $opt in
	p) proto=$OPTARG has_proto=1 ;;
	a) auth=$OPTARG ;;
	t) token=$OPTARG has_token=1 ;;
	x) transit=$OPTARG ;;
	k) kc_warn "-k '$OPTARG' is ignored, as upstream ignores it" ;;
	i) kc_warn "-i '$OPTARG' is ignored, as upstream ignores it" ;;
	h) kc_help; exit 0 ;;
	:) kc_usage "$KC_EUSAGE" "option -$OPTARG requires an argument -- see join_to_host.sh --help" ;;
	*) kc_usage "$KC_EUSAGE" "illegal option: -$OPTARG -- see join_to_host.sh --help" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || kc_warn "ignoring extra arguments: $* -- options must come right after the three operands"

# the command line first, as upstream: -a, then -a Token without a token
case $auth in
MTLS | Token | None) ;;
*) kc_usage "$KC_EUSAGE" "illegal value for -a: '$auth' -- use MTLS, Token or None" ;;
esac
[ "$auth" != Token ] || [ -n "$token" ] ||
	kc_usage "$KC_EUSAGE" "missing argument -t TOKEN: -a Token needs a token -- add -t TOKEN, or use -a MTLS"
kc_check_id SELF_DOMAIN_ID "$self"
kc_check_id HOST_DOMAIN_ID "$host"
[ -z "$transit" ] || kc_check_id 'transit domain (-x)' "$transit"
if [ -n "$transit" ]; then
	# the transit template says kuscia: upstream ignores -p there, whatever its value
	[ -z "$has_proto" ] || kc_warn "-p '$proto' is ignored with -x: a transit route uses kuscia"
	proto=kuscia
fi
# YAML trimmed upstream's values: " kuscia" (from kuscia.sh's "-p kuscia") is kuscia, and an
# empty -p left the route without interConnProtocol (which Kuscia reads as kuscia)
proto=$(printf '%s' "$proto" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
case $proto in
*[!A-Za-z0-9._-]*) kc_die "$KC_EINPUT" "invalid value for -p: '$proto' -- use kuscia or bfia" ;;
esac
case $token in
*[[:space:][:cntrl:]]*) kc_die "$KC_EINPUT" "invalid value for -t: the token holds spaces or control characters -- give the token alone" ;;
*[![:print:]]*) # bytes past ASCII: UTF-8 only (the route is JSON); the token on a pipe, not argv
	printf '%s\n' "$token" | LC_ALL=C.UTF-8 grep -qax '.*' ||
		kc_die "$KC_EINPUT" "invalid value for -t: the token is not valid UTF-8 -- give the token as its issuer printed it" ;;
esac
ep=$(kc-route-check endpoint -- "$endpoint")
read -r ep_host ep_port ep_path ep_tls <<EOF_EP
$ep
EOF_EP

tmp=$(mktemp -d 2>/dev/null) ||
	kc_die "$KC_ESYS" "cannot create a temporary folder in '${TMPDIR:-/tmp}' -- check TMPDIR"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
umask 077
# upstream writes "Bearer <token>"; with no token YAML trims "Bearer " to "Bearer"
if [ -n "$has_token" ] && [ -n "$token" ]; then
	printf 'Bearer %s' "$token" >"$tmp/authorization"
else
	printf 'Bearer' >"$tmp/authorization"
fi
token=''
[ -z "${KC_DEBUG:-}" ] || set -x
if [ -n "$transit" ]; then
	kc-render cluster_domain_route_transit.json SRC_DOMAIN="$self" DEST_DOMAIN="$host" \
		HOST="$ep_host" PORT="$ep_port" PATH="$ep_path" ISTLS="$ep_tls" \
		TRANSIT_DOMAIN="$transit" AUTHORIZATION@="$tmp/authorization" >"$tmp/route.json"
else
	kc-render cluster_domain_route.json SRC_DOMAIN="$self" DEST_DOMAIN="$host" \
		INTERCONN_PROTOCOL="$proto" HOST="$ep_host" PORT="$ep_port" PATH="$ep_path" \
		ISTLS="$ep_tls" AUTHORIZATION@="$tmp/authorization" >"$tmp/route.json"
fi
# the route may hold the token: it moves as a 0600 file, never in a variable (KC_DEBUG)
kc-apply -f "$tmp/route.json"
