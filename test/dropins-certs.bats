#!/usr/bin/env bats
# the key, certificate and token drop-ins: generate_rsa_key.sh, gen_kusciaapi_token.sh,
# generate_cert.sh, init_kusciaapi_client_certs.sh
# shellcheck disable=SC2154 # stderr_lines is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	local d=$BATS_FILE_TMPDIR
	openssl genrsa -traditional -out "$d/pkcs1.key" 2048 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/pkcs8.key" 2>/dev/null
	openssl ecparam -genkey -name prime256v1 -noout -out "$d/ec.key" 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" \
		-subj /CN=alice -days 3650 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/other.key" 2>/dev/null
}

setup() {
	load helper/common
	common_setup
	K=$BATS_FILE_TMPDIR
	KEY8=$(base64 -w0 "$K/pkcs8.key")
	KEY1=$(base64 -w0 "$K/pkcs1.key")
	KEYEC=$(base64 -w0 "$K/ec.key")
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR" work
	cd work || return 1
}

to_full() { # CMD...: run CMD with stdout on a full disk
	"$@" >/dev/full
}

# what upstream's gen_kusciaapi_token.sh computes
upstream_token() { # ID KEYFILE
	printf '%s' "$1" | openssl dgst -sha256 -sign "$2" | base64 -w0 | cut -c1-32
}

entries() { # [DIR]: the names in DIR (default .), sorted, on one line
	find "${1:-.}" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' '
}

no_escapes() { # TEXT: true when TEXT holds no escape character
	[[ $1 != *$'\e'* ]]
}

# a copy of KC_LIBEXEC in which helper NAME is replaced by a script with BODY
stub_helper() { # NAME BODY
	local dir=$BATS_TEST_TMPDIR/libexec f
	if [ ! -d "$dir" ]; then
		mkdir -p "$dir"
		for f in "$KC_LIBEXEC"/*; do
			ln -s "$f" "$dir/${f##*/}"
		done
	fi
	rm -f "$dir/$1"
	printf '#!/bin/sh\n%s\n' "$2" >"$dir/$1"
	chmod +x "$dir/$1"
	REAL_LIBEXEC=$KC_LIBEXEC
	export KC_LIBEXEC=$dir REAL_LIBEXEC
}

# record every argv of helper NAME in $BATS_TEST_TMPDIR/NAME.argv, then run the real one
record_argv() { # NAME
	stub_helper "$1" "printf '%s\\n' \"\$@\" >>\"$BATS_TEST_TMPDIR/$1.argv\"; exec \"\$REAL_LIBEXEC/$1\" \"\$@\""
}

# run CMD on a pseudo-terminal (util-linux script); its output has CR LF line ends
on_tty() { # CMD...
	command -v script >/dev/null || skip "script(1) is not installed"
	local q
	printf -v q '%q ' "$@"
	run script -qec "$q" /dev/null
	output=${output//$'\r'/}
}

# ---- generate_rsa_key.sh -----------------------------------------------------------------

@test "generate_rsa_key.sh: prints the header, a blank line, one line of base64 and a blank line" {
	run -0 --separate-stderr generate_rsa_key.sh
	[ -z "$stderr" ]
	no_escapes "$output"
	local key
	generate_rsa_key.sh >out
	key=$(sed -n 3p out)
	printf 'Generate domain private key configuration:\n\n%s\n\n' "$key" | cmp - out
	[[ $key =~ ^[A-Za-z0-9+/]+=*$ ]]
	base64 -d <<<"$key" >key.pem
	[ "$(head -n1 key.pem)" = "-----BEGIN PRIVATE KEY-----" ]
	openssl pkey -in key.pem -noout -text | grep -q 'Private-Key: (2048 bit'
	openssl rsa -in key.pem -check -noout 2>/dev/null | grep -q 'RSA key ok'
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "generate_rsa_key.sh: ignores its arguments, makes a new key each time" {
	run -0 generate_rsa_key.sh alice extra
	local first=${lines[1]}
	run -0 generate_rsa_key.sh
	[ "${lines[1]}" != "$first" ]
	[ "${lines[0]}" = "Generate domain private key configuration:" ]
}

@test "generate_rsa_key.sh: green on a terminal, as upstream" {
	TERM=xterm on_tty generate_rsa_key.sh
	[ "$status" -eq 0 ]
	local key
	key=$(sed -n 3p <<<"$output")
	[ "$output" = $'\e[0;32mGenerate domain private key configuration:\n\n'"$key"$'\n\e[0m' ]
}

@test "generate_rsa_key.sh: no colour on a terminal with NO_COLOR or TERM=dumb" {
	NO_COLOR=1 TERM=xterm on_tty generate_rsa_key.sh
	[ "$status" -eq 0 ]
	no_escapes "$output"
	[[ $output == "Generate domain private key configuration:"$'\n\n'* ]]
	TERM=dumb on_tty generate_rsa_key.sh
	no_escapes "$output"
}

@test "generate_rsa_key.sh: a failing kc-cert keygen fails the script, printing nothing on stdout" {
	stub_helper kc-cert 'echo "kc-cert: cannot make an RSA key: no entropy" >&2; exit 4'
	run -4 --separate-stderr generate_rsa_key.sh
	[ -z "$output" ]
	[ "$stderr" = "generate_rsa_key.sh: cannot generate the key: cannot make an RSA key: no entropy -- check that OpenSSL works (kc cert keygen)" ]
	stub_helper kc-cert 'exit 0'
	run -4 --separate-stderr generate_rsa_key.sh
	[ -z "$output" ]
	[[ $stderr == "generate_rsa_key.sh: cannot generate the key: kc-cert printed nothing"* ]]
}

@test "generate_rsa_key.sh: a write error on stdout is a system error (4)" {
	run -4 --separate-stderr to_full generate_rsa_key.sh
	[ "$stderr" = "generate_rsa_key.sh: write error on standard output -- check the disk or pipe it goes to" ]
}

@test "generate_rsa_key.sh: a reader that stops early ends it quietly" {
	run -0 --separate-stderr bash -c 'generate_rsa_key.sh | head -n1'
	[ "$output" = "Generate domain private key configuration:" ]
	[ -z "$stderr" ]
}

@test "generate_rsa_key.sh: --help prints its usage" {
	run -0 --separate-stderr generate_rsa_key.sh --help
	[ "${lines[0]}" = "Usage: generate_rsa_key.sh" ]
	[[ $output == *"domainKeyData"* ]]
	[ -z "$stderr" ]
}

# ---- gen_kusciaapi_token.sh --------------------------------------------------------------

@test "gen_kusciaapi_token.sh: prints the token upstream derives, for PKCS#8 and PKCS#1 keys" {
	run -0 --separate-stderr gen_kusciaapi_token.sh alice "$KEY8"
	[ "$output" = "$(upstream_token alice "$K/pkcs8.key")" ]
	[ "${#output}" -eq 32 ]
	[ -z "$stderr" ]
	run -0 --separate-stderr gen_kusciaapi_token.sh bob "$KEY1"
	[ "$output" = "$(upstream_token bob "$K/pkcs1.key")" ]
	no_escapes "$output"
	# wrapped base64 (base64 without -w0) works as with upstream's base64 -d
	run -0 gen_kusciaapi_token.sh bob "$(base64 "$K/pkcs1.key")"
	[ "$output" = "$(upstream_token bob "$K/pkcs1.key")" ]
}

@test "gen_kusciaapi_token.sh: equals kc-token kusciaapi of a node whose token Kuscia derived" {
	upstream_token alice "$K/pkcs8.key" | tr -d '\n' >"$KUSCIA_ROOT/var/certs/token"
	run -0 gen_kusciaapi_token.sh alice "$KEY8"
	[ "$output" = "$(kc-token kusciaapi)" ]
}

@test "gen_kusciaapi_token.sh: green on a terminal, plain with NO_COLOR" {
	TERM=xterm on_tty gen_kusciaapi_token.sh alice "$KEY8"
	[ "$status" -eq 0 ]
	[ "$output" = $'\e[0;32m'"$(upstream_token alice "$K/pkcs8.key")"$'\e[0m' ]
	NO_COLOR=1 TERM=xterm on_tty gen_kusciaapi_token.sh alice "$KEY8"
	[ "$output" = "$(upstream_token alice "$K/pkcs8.key")" ]
}

@test "gen_kusciaapi_token.sh: anything but 2 arguments is a usage error (2) naming the format" {
	local n
	for n in 0 1 3; do
		set -- alice "$KEY8" extra
		run -2 --separate-stderr gen_kusciaapi_token.sh "${@:1:n}"
		[ -z "$output" ]
		# shellcheck disable=SC2016 # upstream's literal ${...}
		[ "$stderr" = "gen_kusciaapi_token.sh: need 2 arguments, got $n -- Please run the script in this format: $KC_SRC/bin/gen_kusciaapi_token.sh"' ${domainID} ${domainKeyData}' ]
	done
}

@test "gen_kusciaapi_token.sh: an empty DOMAIN_ID or DOMAIN_KEY_DATA is a usage error (2)" {
	run -2 --separate-stderr gen_kusciaapi_token.sh '' "$KEY8"
	[ -z "$output" ]
	[ "$stderr" = "gen_kusciaapi_token.sh: DOMAIN_ID is empty -- give the domain's ID, as in its kuscia.yaml" ]
	run -2 --separate-stderr gen_kusciaapi_token.sh alice ''
	[ -z "$output" ]
	[ "$stderr" = "gen_kusciaapi_token.sh: DOMAIN_KEY_DATA is empty -- give the domainKeyData of the domain's kuscia.yaml" ]
}

@test "gen_kusciaapi_token.sh: an EC key or garbage is bad input (3)" {
	run -3 --separate-stderr gen_kusciaapi_token.sh alice "$KEYEC"
	[ -z "$output" ]
	[ "$stderr" = "gen_kusciaapi_token.sh: DOMAIN_KEY_DATA is not an RSA key but EC: Kuscia domain keys are RSA -- pass the domainKeyData of alice's kuscia.yaml (base64 of its PEM RSA key)" ]
	run -3 --separate-stderr gen_kusciaapi_token.sh alice 'notbase64'
	[ -z "$output" ]
	[ "$stderr" = "gen_kusciaapi_token.sh: DOMAIN_KEY_DATA is not a private key: expected an unencrypted PEM key or the base64 of one -- pass the domainKeyData of alice's kuscia.yaml (base64 of its PEM RSA key)" ]
	run -3 --separate-stderr gen_kusciaapi_token.sh alice "$(base64 -w0 "$K/ca.crt")"
	[ -z "$output" ]
	[[ $stderr == "gen_kusciaapi_token.sh: DOMAIN_KEY_DATA is not a private key"* ]]
}

@test "gen_kusciaapi_token.sh: what upstream's base64 -d refuses is bad input (3): a PEM key, a space, a CR" {
	local bad
	for bad in "$(cat "$K/pkcs8.key")" "${KEY8:0:64} ${KEY8:64}" "$KEY8"$'\r' "$KEY8"$'\t' 'not base64!'; do
		run -3 --separate-stderr gen_kusciaapi_token.sh alice "$bad"
		[ -z "$output" ]
		[ "$stderr" = "gen_kusciaapi_token.sh: DOMAIN_KEY_DATA is not base64: it holds a character that base64 -d refuses -- pass the domainKeyData of alice's kuscia.yaml (the base64 of its PEM RSA key), not the PEM itself" ]
	done
	# line breaks are fine, as with base64 -d
	run -0 gen_kusciaapi_token.sh alice $'\n'"$(base64 -w 64 "$K/pkcs8.key")"$'\n'
	[ "$output" = "$(upstream_token alice "$K/pkcs8.key")" ]
}

@test "gen_kusciaapi_token.sh: the key reaches kc-token on stdin, not in its argv nor in a file" {
	record_argv kc-token
	run -0 gen_kusciaapi_token.sh alice "$KEY8"
	[ "$output" = "$(upstream_token alice "$K/pkcs8.key")" ]
	[ "$(cat "$BATS_TEST_TMPDIR/kc-token.argv")" = $'lite\n--\nalice' ]
	[ -z "$(entries "$TMPDIR")" ]
	[ -z "$(entries)" ]
}

@test "gen_kusciaapi_token.sh: KC_DEBUG traces do not show the key" {
	KC_DEBUG=1 run -0 --separate-stderr gen_kusciaapi_token.sh alice "$KEY8"
	[ "$output" = "$(upstream_token alice "$K/pkcs8.key")" ]
	[[ $stderr == *"+ "* ]]
	[[ $stderr != *"${KEY8:100:40}"* ]]
}

@test "generate_cert.sh: KC_DEBUG traces do not show the key" {
	KC_DEBUG=1 run -0 --separate-stderr generate_cert.sh alice "$KEY8"
	[[ $stderr == *"+ "* ]]
	[[ $stderr != *"${KEY8:100:40}"* ]]
}

@test "gen_kusciaapi_token.sh: a write error on stdout is a system error (4)" {
	run -4 --separate-stderr to_full gen_kusciaapi_token.sh alice "$KEY8"
	[ "$stderr" = "gen_kusciaapi_token.sh: write error on standard output -- check the disk or pipe it goes to" ]
}

@test "gen_kusciaapi_token.sh: --help prints its usage" {
	run -0 --separate-stderr gen_kusciaapi_token.sh --help
	[ "${lines[0]}" = "Usage: gen_kusciaapi_token.sh DOMAIN_ID DOMAIN_KEY_DATA" ]
	[ -z "$stderr" ]
}

# ---- generate_cert.sh --------------------------------------------------------------------

@test "generate_cert.sh: writes key (0600), CSR and cert here and prints the cert" {
	run -0 --separate-stderr generate_cert.sh alice "$KEY8"
	[ -z "$stderr" ]
	[ "$output" = "$(cat alice.domain.crt)" ]
	[ "$(entries)" = "alice.domain.crt alice.domain.csr alice.domain.key " ]
	[ "$(stat -c %a alice.domain.key)" = 600 ]
	[ "$(stat -c %a alice.domain.csr)" = 644 ]
	[ "$(stat -c %a alice.domain.crt)" = 644 ]
	cmp alice.domain.key "$K/pkcs8.key"
	# as upstream with OpenSSL 3.0: v1, CN=ID for subject and issuer, SHA-256, 36500 days
	openssl x509 -in alice.domain.crt -noout -text >text
	grep -q 'Version: 1 (0x0)' text
	grep -q 'Signature Algorithm: sha256WithRSAEncryption' text
	[ "$(openssl x509 -in alice.domain.crt -noout -subject)" = "subject=CN = alice" ]
	[ "$(openssl x509 -in alice.domain.crt -noout -issuer)" = "issuer=CN = alice" ]
	openssl x509 -in alice.domain.crt -noout -checkend $((36499 * 86400)) >/dev/null
	run -1 openssl x509 -in alice.domain.crt -noout -checkend $((36501 * 86400))
	[ "$(openssl x509 -in alice.domain.crt -noout -pubkey)" = "$(openssl pkey -in "$K/pkcs8.key" -pubout)" ]
	openssl req -in alice.domain.csr -noout -verify 2>/dev/null
	[ "$(openssl req -in alice.domain.csr -noout -subject)" = "subject=CN = alice" ]
	kc-cert verify alice.domain.crt --domain alice --key alice.domain.key
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "generate_cert.sh, init_kusciaapi_client_certs.sh: a umask narrows CSR, cert and serial as upstream's, never widens them" {
	ca_into_root
	(umask 077 && generate_cert.sh alice "$KEY8" >/dev/null && init_kusciaapi_client_certs.sh)
	[ "$(stat -c %a alice.domain.key alice.domain.csr alice.domain.crt | tr '\n' ' ')" = "600 600 600 " ]
	cd "$KUSCIA_ROOT/var/certs"
	[ "$(stat -c %a kusciaapi-client.key kusciaapi-client.csr kusciaapi-client.crt ca.srl | tr '\n' ' ')" = "600 600 600 600 " ]
	(umask 027 && init_kusciaapi_client_certs.sh)
	[ "$(stat -c %a kusciaapi-client.key kusciaapi-client.csr kusciaapi-client.crt ca.srl | tr '\n' ' ')" = "600 640 640 640 " ]
	(umask 000 && init_kusciaapi_client_certs.sh)
	[ "$(stat -c %a kusciaapi-client.key kusciaapi-client.csr kusciaapi-client.crt ca.srl | tr '\n' ' ')" = "600 644 644 644 " ]
}

@test "generate_cert.sh: a PKCS#1 key is kept as given" {
	run -0 generate_cert.sh bob "$KEY1"
	cmp bob.domain.key "$K/pkcs1.key"
	kc-cert verify bob.domain.crt --domain bob --key bob.domain.key
}

@test "generate_cert.sh: run again with the same key it renews CSR and cert" {
	run -0 generate_cert.sh alice "$KEY8"
	local first=$output
	run -0 --separate-stderr generate_cert.sh alice "$KEY8"
	[ "$output" != "$first" ]
	[ "$output" = "$(cat alice.domain.crt)" ]
	[ "$(entries)" = "alice.domain.crt alice.domain.csr alice.domain.key " ]
}

@test "generate_cert.sh: refuses to replace a key file that holds another key (3)" {
	cp "$K/other.key" alice.domain.key
	printf 'old csr\n' >alice.domain.csr
	printf 'old crt\n' >alice.domain.crt
	run -3 --separate-stderr generate_cert.sh alice "$KEY8"
	[ -z "$output" ]
	[ "$stderr" = "generate_cert.sh: 'alice.domain.key' already exists and holds another key -- move it away, or run this in another folder" ]
	cmp alice.domain.key "$K/other.key"
	[ "$(cat alice.domain.csr)" = "old csr" ]
	[ "$(cat alice.domain.crt)" = "old crt" ]
	[ "$(entries)" = "alice.domain.crt alice.domain.csr alice.domain.key " ]
}

@test "generate_cert.sh: a missing DOMAIN_ID or DOMAIN_KEY_DATA is a usage error (2), nothing written" {
	run -2 --separate-stderr generate_cert.sh
	[ -z "$output" ]
	[ "$stderr" = "generate_cert.sh: missing argument: DOMAIN_ID -- usage: generate_cert.sh DOMAIN_ID DOMAIN_KEY_DATA" ]
	run -2 --separate-stderr generate_cert.sh '' "$KEY8"
	[ "$stderr" = "generate_cert.sh: missing argument: DOMAIN_ID -- usage: generate_cert.sh DOMAIN_ID DOMAIN_KEY_DATA" ]
	run -2 --separate-stderr generate_cert.sh alice
	[ -z "$output" ]
	[ "$stderr" = "generate_cert.sh: missing argument: DOMAIN_KEY_DATA -- give the domainKeyData of alice's kuscia.yaml (base64 of its PEM RSA key)" ]
	run -2 --separate-stderr generate_cert.sh alice ''
	[ -z "$(ls -A)" ]
}

@test "generate_cert.sh: an invalid domain ID is bad input (3), nothing written" {
	local id
	for id in Alice a/b -a kube-system; do
		run -3 --separate-stderr generate_cert.sh "$id" "$KEY8"
		[ -z "$output" ]
		[[ $stderr == "generate_cert.sh: invalid DOMAIN_ID '$id': "* ]]
	done
	[ -z "$(ls -A)" ]
}

@test "generate_cert.sh: key data that is not an RSA key is bad input (3), nothing written" {
	run -3 --separate-stderr generate_cert.sh alice 'not base64!'
	[ -z "$output" ]
	[ "$stderr" = "generate_cert.sh: DOMAIN_KEY_DATA is not the base64 of a PEM key -- give the domainKeyData of alice's kuscia.yaml" ]
	run -3 --separate-stderr generate_cert.sh alice "$(printf 'hello\n' | base64)"
	[ "$stderr" = "generate_cert.sh: DOMAIN_KEY_DATA is not the base64 of a PEM key -- give the domainKeyData of alice's kuscia.yaml" ]
	run -3 --separate-stderr generate_cert.sh alice "$KEYEC"
	[ -z "$output" ]
	[ "$stderr" = "generate_cert.sh: DOMAIN_KEY_DATA is EC, not RSA -- give the domainKeyData of alice's kuscia.yaml (base64 of its PEM RSA key)" ]
	run -3 --separate-stderr generate_cert.sh alice "$(base64 -w0 "$K/ca.crt")"
	[ -z "$output" ]
	[[ $stderr == "generate_cert.sh: "*" -- give the domainKeyData of alice's kuscia.yaml (base64 of its PEM RSA key)" ]]
	[[ $stderr != *$'\n'* ]]
	[ -z "$(ls -A)" ]
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "generate_cert.sh: a folder in place of an output is a system error (4), nothing written" {
	local f
	for f in key csr crt; do
		mkdir "alice.domain.$f"
		run -4 --separate-stderr generate_cert.sh alice "$KEY8"
		[ -z "$output" ]
		[ "$stderr" = "generate_cert.sh: 'alice.domain.$f' is a folder -- move it away, or run this in another folder" ]
		[ "$(entries)" = "alice.domain.$f " ]
		[ -z "$(ls -A "alice.domain.$f")" ]
		rmdir "alice.domain.$f"
	done
}

@test "generate_cert.sh: KC_DRY_RUN checks everything, writes and prints nothing" {
	KC_DRY_RUN=1 run -0 --separate-stderr generate_cert.sh alice "$KEY8"
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ -z "$(entries)" ]
	KC_DRY_RUN=1 run -3 --separate-stderr generate_cert.sh alice "$KEYEC"
	[[ $stderr == "generate_cert.sh: DOMAIN_KEY_DATA"* ]]
	cp "$K/other.key" alice.domain.key
	KC_DRY_RUN=1 run -3 --separate-stderr generate_cert.sh alice "$KEY8"
	[[ $stderr == "generate_cert.sh: 'alice.domain.key' already exists and holds another key"* ]]
	[ "$(entries)" = "alice.domain.key " ]
}

@test "generate_cert.sh: a folder it cannot write to is a system error (4)" {
	cd /proc
	run -4 --separate-stderr generate_cert.sh alice "$KEY8"
	[ -z "$output" ]
	[ "$stderr" = "generate_cert.sh: cannot write in the current folder '/proc' -- run it in a folder you can write to" ]
}

@test "generate_cert.sh: the key reaches kc-cert as a file, never in its argv" {
	record_argv kc-cert
	run -0 generate_cert.sh alice "$KEY8"
	[ -s "$BATS_TEST_TMPDIR/kc-cert.argv" ]
	run -1 grep -e "${KEY8:100:40}" -e PRIVATE "$BATS_TEST_TMPDIR/kc-cert.argv"
	[ "$(entries)" = "alice.domain.crt alice.domain.csr alice.domain.key " ]
}

@test "generate_cert.sh: a write error on stdout is a system error (4)" {
	run -4 --separate-stderr to_full generate_cert.sh alice "$KEY8"
	[ "$stderr" = "generate_cert.sh: write error on standard output (the files are written) -- check the disk or pipe it goes to" ]
}

@test "generate_cert.sh: --help prints its usage" {
	run -0 --separate-stderr generate_cert.sh --help
	[ "${lines[0]}" = "Usage: generate_cert.sh DOMAIN_ID DOMAIN_KEY_DATA" ]
	[ -z "$stderr" ]
	[ -z "$(ls -A)" ]
}

# ---- init_kusciaapi_client_certs.sh ------------------------------------------------------

ca_into_root() {
	cp "$K/ca.crt" "$K/ca.key" "$KUSCIA_ROOT/var/certs/"
}

@test "init_kusciaapi_client_certs.sh: issues the client key and cert from the node's CA" {
	ca_into_root
	run -0 --separate-stderr init_kusciaapi_client_certs.sh
	[ -z "$output" ]
	[ -z "$stderr" ]
	cd "$KUSCIA_ROOT/var/certs"
	[ "$(stat -c %a kusciaapi-client.key)" = 600 ]
	[ "$(head -n1 kusciaapi-client.key)" = "-----BEGIN PRIVATE KEY-----" ]
	openssl pkey -in kusciaapi-client.key -noout -text | grep -q 'Private-Key: (2048 bit'
	[ "$(openssl req -in kusciaapi-client.csr -noout -subject)" = "subject=CN = KusciaAPIClient" ]
	[ "$(openssl x509 -in kusciaapi-client.crt -noout -subject)" = "subject=CN = KusciaAPIClient" ]
	openssl verify -CAfile ca.crt kusciaapi-client.crt
	[ "$(openssl x509 -in kusciaapi-client.crt -noout -pubkey)" = "$(openssl pkey -in kusciaapi-client.key -pubout)" ]
	openssl x509 -in kusciaapi-client.crt -noout -checkend $((999 * 86400)) >/dev/null
	run -1 openssl x509 -in kusciaapi-client.crt -noout -checkend $((1001 * 86400))
	[ -s ca.srl ]
}

@test "init_kusciaapi_client_certs.sh: replaces existing client files, as upstream" {
	ca_into_root
	run -0 init_kusciaapi_client_certs.sh
	cp "$KUSCIA_ROOT/var/certs/kusciaapi-client.key" first.key
	run -0 --separate-stderr init_kusciaapi_client_certs.sh ignored args
	[ -z "$output" ]
	run -1 cmp -s first.key "$KUSCIA_ROOT/var/certs/kusciaapi-client.key"
	openssl verify -CAfile "$K/ca.crt" "$KUSCIA_ROOT/var/certs/kusciaapi-client.crt"
}

old_client_files() { # the client's key, CSR and cert, each holding "old EXT"
	local f
	for f in key csr crt; do
		printf 'old %s\n' "$f" >"$KUSCIA_ROOT/var/certs/kusciaapi-client.$f"
	done
}
client_files_unchanged() {
	local f
	for f in key csr crt; do
		[ "$(cat "$KUSCIA_ROOT/var/certs/kusciaapi-client.$f")" = "old $f" ]
	done
}

@test "init_kusciaapi_client_certs.sh: without ca.key it fails (4) and overwrites nothing" {
	cp "$K/ca.crt" "$KUSCIA_ROOT/var/certs/"
	old_client_files
	run -4 --separate-stderr init_kusciaapi_client_certs.sh
	[ -z "$output" ]
	[ "$stderr" = "init_kusciaapi_client_certs.sh: cannot read '$KUSCIA_ROOT/var/certs/ca.key': No such file or directory -- run it on a node Kuscia has started (it makes ca.crt and ca.key), or set KUSCIA_ROOT" ]
	client_files_unchanged
	[ ! -e "$KUSCIA_ROOT/var/certs/ca.srl" ]
}

@test "init_kusciaapi_client_certs.sh: without ca.crt it fails (4)" {
	cp "$K/ca.key" "$KUSCIA_ROOT/var/certs/"
	run -4 --separate-stderr init_kusciaapi_client_certs.sh
	[ -z "$output" ]
	[[ $stderr == "init_kusciaapi_client_certs.sh: cannot read '$KUSCIA_ROOT/var/certs/ca.crt': "* ]]
	[ "$(ls -A "$KUSCIA_ROOT/var/certs")" = ca.key ]
}

@test "init_kusciaapi_client_certs.sh: a ca.key that does not match ca.crt is bad input (3)" {
	cp "$K/ca.crt" "$KUSCIA_ROOT/var/certs/"
	cp "$K/other.key" "$KUSCIA_ROOT/var/certs/ca.key"
	old_client_files
	run -3 --separate-stderr init_kusciaapi_client_certs.sh
	[ -z "$output" ]
	[ "$stderr" = "init_kusciaapi_client_certs.sh: '$KUSCIA_ROOT/var/certs/ca.key' does not match '$KUSCIA_ROOT/var/certs/ca.crt' -- restore the node's own ca.crt and ca.key" ]
	client_files_unchanged
}

@test "init_kusciaapi_client_certs.sh: continues ca.srl as openssl does; one without a serial is bad input (3)" {
	ca_into_root
	printf '0A\n' >"$KUSCIA_ROOT/var/certs/ca.srl"
	run -0 init_kusciaapi_client_certs.sh
	[ "$(cat "$KUSCIA_ROOT/var/certs/ca.srl")" = 0B ]
	[ "$(openssl x509 -in "$KUSCIA_ROOT/var/certs/kusciaapi-client.crt" -noout -serial)" = serial=0B ]
	printf 'garbage\n' >"$KUSCIA_ROOT/var/certs/ca.srl"
	old_client_files
	run -3 --separate-stderr init_kusciaapi_client_certs.sh
	[ -z "$output" ]
	[ "$stderr" = "init_kusciaapi_client_certs.sh: '$KUSCIA_ROOT/var/certs/ca.srl' holds no serial number -- remove it: the next serial is then chosen at random, as openssl -CAcreateserial does" ]
	client_files_unchanged
	[ "$(cat "$KUSCIA_ROOT/var/certs/ca.srl")" = garbage ]
}

@test "init_kusciaapi_client_certs.sh: a folder in place of a file it writes is a system error (4), nothing replaced" {
	local f n
	ca_into_root
	for n in kusciaapi-client.csr kusciaapi-client.crt ca.srl; do
		old_client_files
		rm -f "$KUSCIA_ROOT/var/certs/$n"
		mkdir "$KUSCIA_ROOT/var/certs/$n"
		run -4 --separate-stderr init_kusciaapi_client_certs.sh
		[ -z "$output" ]
		[[ $stderr == "init_kusciaapi_client_certs.sh: "*"'$KUSCIA_ROOT/var/certs/$n'"*" -- move it away"* ]]
		[ "${#stderr_lines[@]}" -eq 1 ]
		rmdir "$KUSCIA_ROOT/var/certs/$n"
		[ "$(cat "$KUSCIA_ROOT/var/certs/kusciaapi-client.key")" = "old key" ]
	done
}

@test "init_kusciaapi_client_certs.sh: KC_DRY_RUN checks the CA and writes nothing" {
	ca_into_root
	KC_DRY_RUN=1 run -0 --separate-stderr init_kusciaapi_client_certs.sh
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(entries "$KUSCIA_ROOT/var/certs")" = "ca.crt ca.key " ]
	cp "$K/other.key" "$KUSCIA_ROOT/var/certs/ca.key"
	KC_DRY_RUN=1 run -3 --separate-stderr init_kusciaapi_client_certs.sh
	[[ $stderr == *"does not match"* ]]
	rm "$KUSCIA_ROOT/var/certs/ca.key"
	KC_DRY_RUN=1 run -4 --separate-stderr init_kusciaapi_client_certs.sh
	[ "$(entries "$KUSCIA_ROOT/var/certs")" = "ca.crt " ]
}

@test "init_kusciaapi_client_certs.sh: a missing var/certs or KUSCIA_ROOT is a system error (4)" {
	rmdir "$KUSCIA_ROOT/var/certs"
	run -4 --separate-stderr init_kusciaapi_client_certs.sh
	[ -z "$output" ]
	[ "$stderr" = "init_kusciaapi_client_certs.sh: '$KUSCIA_ROOT/var/certs' does not exist -- start Kuscia once (it makes ca.crt and ca.key there), or set KUSCIA_ROOT" ]
	[ ! -e "$KUSCIA_ROOT/var/certs" ]
	KUSCIA_ROOT=$BATS_TEST_TMPDIR/nowhere run -4 --separate-stderr init_kusciaapi_client_certs.sh
	[ "$stderr" = "init_kusciaapi_client_certs.sh: KUSCIA_ROOT '$BATS_TEST_TMPDIR/nowhere' is not a folder -- set KUSCIA_ROOT to the node's Kuscia home" ]
	[ ! -e "$BATS_TEST_TMPDIR/nowhere" ]
}

@test "init_kusciaapi_client_certs.sh: installed as scripts/deploy/ it works in the node two levels up" {
	local node=$BATS_TEST_TMPDIR/node
	mkdir -p "$node/scripts/deploy" "$node/var/certs"
	cp "$KC_SRC/bin/init_kusciaapi_client_certs.sh" "$node/scripts/deploy/"
	cp "$K/ca.crt" "$K/ca.key" "$node/var/certs/"
	unset KUSCIA_ROOT
	run -0 --separate-stderr "$node/scripts/deploy/init_kusciaapi_client_certs.sh"
	[ -z "$stderr" ]
	openssl verify -CAfile "$node/var/certs/ca.crt" "$node/var/certs/kusciaapi-client.crt"
}

@test "init_kusciaapi_client_certs.sh: --help prints its usage" {
	run -0 --separate-stderr init_kusciaapi_client_certs.sh --help
	[ "${lines[0]}" = "Usage: init_kusciaapi_client_certs.sh" ]
	[ -z "$stderr" ]
	[ -z "$(ls -A "$KUSCIA_ROOT/var/certs")" ]
}
