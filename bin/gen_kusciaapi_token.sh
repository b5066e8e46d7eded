#!/bin/sh
# Usage: gen_kusciaapi_token.sh DOMAIN_ID DOMAIN_KEY_DATA
#
# Print a domain's KusciaAPI token, derived from its domain key as Kuscia derives it.
#
# DOMAIN_KEY_DATA is the domainKeyData of the domain's kuscia.yaml: the base64 of its PEM RSA
# private key (PKCS#1 or PKCS#8). The token is the first 32 characters of the base64 RSA
# SHA-256 signature of DOMAIN_ID, which Kuscia wrote into var/certs/token at first start.
# It is printed in green only when stdout is a terminal and NO_COLOR is unset.
#
# The key on this command line is visible to other local users (ps); `kc token lite
# DOMAIN_ID --key FILE` reads it from a file or stdin instead. This script hands it on
# through a pipe and writes it to no file.
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
-h | --help) [ $# -ne 1 ] || { kc_help; exit 0; } ;;
esac
# shellcheck disable=SC2016 # the ${...} are literal, as in upstream's message
[ $# -eq 2 ] || kc_die "$KC_EUSAGE" "need 2 arguments, got $# -- Please run the script in this format: $0"' ${domainID} ${domainKeyData}'
# ${2:+x}: a KC_DEBUG trace shows x, not the key
[ -n "$1" ] || kc_die "$KC_EUSAGE" "DOMAIN_ID is empty -- give the domain's ID, as in its kuscia.yaml"
[ -n "${2:+x}" ] || kc_die "$KC_EUSAGE" "DOMAIN_KEY_DATA is empty -- give the domainKeyData of the domain's kuscia.yaml"

# no trace from here on: the key is in $2 (KC_DEBUG would print it)
{ set +x; } 2>/dev/null
# upstream decodes it with base64 -d, which takes base64 and line breaks only: a PEM key
# itself, or a space or CR pasted in, fails there, and so here
nl='
'
case $2 in
*[!A-Za-z0-9+/=$nl]*)
	kc_die "$KC_EINPUT" "DOMAIN_KEY_DATA is not base64: it holds a character that base64 -d refuses -- pass the domainKeyData of $1's kuscia.yaml (the base64 of its PEM RSA key), not the PEM itself" ;;
esac
rc=0
# printf is a shell builtin: the key reaches kc-token through a pipe, not an argv or a file
token=$( (printf '%s\n' "$2" | kc-token lite -- "$1") 2>&1) || rc=$?
case $rc in
0) ;;
"$KC_EINPUT")
	kc_die "$rc" "$(why "$token" | sed 's/^the key on stdin/DOMAIN_KEY_DATA/') -- pass the domainKeyData of $1's kuscia.yaml (base64 of its PEM RSA key)" ;;
*) kc_die "$rc" "cannot derive the token: $(why "$token") -- run 'kc token lite $1 --key FILE' to see more" ;;
esac
kc_paint green "$token" 2>/dev/null ||
	kc_die "$KC_ESYS" "write error on standard output -- check the disk or pipe it goes to"
