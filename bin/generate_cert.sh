#!/bin/sh
# Usage: generate_cert.sh DOMAIN_ID DOMAIN_KEY_DATA
#
# Make a self-signed certificate for a domain key, print it, and keep key, CSR and cert here.
#
# DOMAIN_KEY_DATA is the domainKeyData of the domain's kuscia.yaml: the base64 of its PEM RSA
# private key. Writes DOMAIN_ID.domain.key (the decoded key, mode 0600), DOMAIN_ID.domain.csr
# and DOMAIN_ID.domain.crt (subject and issuer CN=DOMAIN_ID, SHA-256, 36500 days, X.509 v1)
# into the current folder, as upstream, and prints the certificate. Everything is checked
# before anything is written; a DOMAIN_ID.domain.key that holds another key is never replaced.
#
# The key on this command line is visible to other local users (ps); `kc cert gen DOMAIN_ID
# --key FILE` reads it from a file or stdin instead.
#
# Environment: KC_DRY_RUN=1 (check everything, write and print nothing).
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
[ -n "${1:-}" ] || kc_die "$KC_EUSAGE" "missing argument: DOMAIN_ID -- usage: generate_cert.sh DOMAIN_ID DOMAIN_KEY_DATA"
# ${2:+x}: a KC_DEBUG trace shows x, not the key
[ -n "${2:+x}" ] || kc_die "$KC_EUSAGE" "missing argument: DOMAIN_KEY_DATA -- give the domainKeyData of $1's kuscia.yaml (base64 of its PEM RSA key)"
id=$1
kc_check_id DOMAIN_ID "$id"
name=$id.domain

# CSR and cert: 0644, narrowed by the caller's umask as openssl's are (never widened)
pub=$(umask)
pub=$(printf '%o' $((0644 & ~0$pub)))
# no trace from here on: the key is in $2 (KC_DEBUG would print it)
{ set +x; } 2>/dev/null
umask 077
# a private folder next to the outputs: the key is written 0600, and the final renames
# cannot fail half-way for lack of space or a different file system
tmp=$(mktemp -d "./.generate_cert.XXXXXX" 2>/dev/null) ||
	kc_die "$KC_ESYS" "cannot write in the current folder '$PWD' -- run it in a folder you can write to"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

printf '%s\n' "$2" >"$tmp/key.b64"
if ! base64 -d <"$tmp/key.b64" >"$tmp/key" 2>/dev/null || ! grep -q -e '-----BEGIN' "$tmp/key"; then
	kc_die "$KC_EINPUT" "DOMAIN_KEY_DATA is not the base64 of a PEM key -- give the domainKeyData of $id's kuscia.yaml"
fi
rc=0
err=$(kc-cert gen "$id" --key "$tmp/key" --csr "$tmp/csr" 2>&1 >"$tmp/crt") || rc=$?
case $rc in
0) ;;
"$KC_EINPUT")
	kc_die "$rc" "$(why "$err" | sed "s|^the key in '$tmp/key'|DOMAIN_KEY_DATA|; s|^'$tmp/key'|DOMAIN_KEY_DATA|") -- give the domainKeyData of $id's kuscia.yaml (base64 of its PEM RSA key)" ;;
*) kc_die "$rc" "cannot make the certificate: $(why "$err") -- run 'kc cert gen $id --key FILE' to see more" ;;
esac
for f in "$name.key" "$name.csr" "$name.crt"; do
	# mv would move the file into a folder (or a link to one) of that name
	[ ! -d "$f" ] || kc_die "$KC_ESYS" "'$f' is a folder -- move it away, or run this in another folder"
done
if [ -e "$name.key" ] || [ -L "$name.key" ]; then
	cmp -s -- "$name.key" "$tmp/key" ||
		kc_die "$KC_EINPUT" "'$name.key' already exists and holds another key -- move it away, or run this in another folder"
fi
# KC_DRY_RUN: every check has run; nothing is written or printed
! kc_dry_run || exit 0
chmod "$pub" "$tmp/csr" "$tmp/crt"
mv -f -- "$tmp/key" "$name.key"
mv -f -- "$tmp/csr" "$name.csr"
mv -f -- "$tmp/crt" "$name.crt"
rc=0
cat -- "$name.crt" 2>/dev/null || rc=$?
# a reader that went away (SIGPIPE) ends us quietly, as it ends cat
[ "$rc" -le 128 ] || exit "$rc"
[ "$rc" -eq 0 ] ||
	kc_die "$KC_ESYS" "write error on standard output (the files are written) -- check the disk or pipe it goes to"
