#!/bin/sh
# Usage: generate_rsa_key.sh
#
# Print a new RSA-2048 domain key as kuscia.yaml's domainKeyData (base64 of the PEM).
#
# Prints 'Generate domain private key configuration:', a blank line, the key as one line of
# base64 and a blank line, as upstream; in green only when stdout is a terminal and NO_COLOR
# is unset. The PEM inside is PKCS#8 ('-----BEGIN PRIVATE KEY-----'). Arguments are ignored,
# as upstream. Same as `kc cert keygen`, which prints only the key.
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
umask 077
tmp=$(mktemp -d 2>/dev/null) ||
	kc_die "$KC_ESYS" "cannot create a temporary folder -- check TMPDIR and free space"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# the key goes to a 0600 file in a private folder, never into a variable (KC_DEBUG traces)
rc=0
err=$(kc-cert keygen 2>&1 >"$tmp/key") || rc=$?
[ "$rc" -eq 0 ] || kc_die "$rc" "cannot generate the key: $(why "$err") -- check that OpenSSL works (kc cert keygen)"
[ -s "$tmp/key" ] || kc_die "$KC_ESYS" "cannot generate the key: kc-cert printed nothing -- check that OpenSSL works (kc cert keygen)"

if kc_color 1; then
	on=$(printf '\033[0;32m') off=$(printf '\033[0m')
else
	on='' off=''
fi
rc=0
{
	printf '%sGenerate domain private key configuration:\n\n' "$on" &&
		cat -- "$tmp/key" && printf '%s\n' "$off"
} 2>/dev/null || rc=$?
# a reader that went away (SIGPIPE) ends us quietly, as it ends cat
[ "$rc" -le 128 ] || exit "$rc"
[ "$rc" -eq 0 ] || kc_die "$KC_ESYS" "write error on standard output -- check the disk or pipe it goes to"
