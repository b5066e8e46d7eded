#!/usr/bin/env bats
# kc-cert: inspect, verify, b64, import, export, gen, keygen, client
# shellcheck disable=SC2154 # stderr_lines is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	export F="$BATS_FILE_TMPDIR/f"
	mkdir -p "$F/dir"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/cert/mkcerts.py" "$F"
	openssl x509 -in "$F/alice.crt" -outform DER -out "$F/alice.der"
	head -c 600 /dev/urandom >"$F/garbage"
	printf 'hello, not a certificate\n' >"$F/text"
	: >"$F/empty"
	base64 -w0 "$F/alice.key" >"$F/alice.key.b64"
	sed -n '1,10p' "$F/alice.crt" >"$F/truncated.crt"
}

setup() {
	load helper/common
	common_setup
	CERTS=$KUSCIA_ROOT/var/certs
}

# no temp file of kc_write_atomic left in var/certs
no_tmp_left() {
	! compgen -G "$CERTS/.kc-tmp.*" >/dev/null
}

# var/certs holds exactly the files named (sorted), nothing else
certs_are() {
	[ "$(find "$CERTS" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')" = "$*${*:+ }" ]
}

# verify_fails REASON MESSAGE-GLOB FILE ARGS...: verify fails with exit 3, one line on stderr
# and nothing on stdout; with -o json the reason keyword on stdout and the same line on stderr
verify_fails() {
	local reason=$1 glob=$2
	shift 2
	run -3 --separate-stderr kc-cert verify "$@"
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == kc-cert:\ $glob ]]
	local line=$stderr
	run -3 --separate-stderr kc-cert verify -o json "$@"
	[ "$output" = "{\"ok\":false,\"reason\":\"$reason\"}" ]
	[ "$stderr" = "$line" ]
}

# ---- the command line ---------------------------------------------------------------------

@test "cert: --help prints the usage on stdout" {
	run -0 --separate-stderr kc-cert --help
	[ -z "$stderr" ]
	[ "${lines[0]}" = "Usage: kc cert COMMAND [ARGS...]" ]
	[ -n "${lines[1]}" ] # bats drops blank lines: the summary is the second line
	[[ $output == *"inspect FILE"* ]]
	[[ $output == *"client [--force]"* ]]
}

@test "cert: --version prints kc-cert and the version" {
	run -0 --separate-stderr kc-cert --version
	[ "$output" = "kc-cert $(cat "$KC_SRC/VERSION")" ]
	[ -z "$stderr" ]
}

@test "cert: every subcommand has --help with its Usage line and a summary" {
	local c
	for c in inspect verify b64 import export gen keygen client; do
		run -0 --separate-stderr kc-cert "$c" --help
		[[ ${lines[0]} == "Usage: kc cert $c"* ]]
		[ -n "$(sed -n 3p <<<"$output")" ]
		[ -z "$stderr" ]
	done
}

@test "cert: no command is a usage error (2)" {
	run -2 --separate-stderr kc-cert
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: missing command" ]
	[[ ${stderr_lines[1]} == "Usage: kc cert "* ]]
}

@test "cert: an unknown command is a usage error (2)" {
	run -2 --separate-stderr kc-cert frobnicate
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: unknown command 'frobnicate'" ]
	[[ ${stderr_lines[1]} == "Usage: kc cert "* ]]
}

@test "cert: an unknown option is a usage error (2)" {
	run -2 --separate-stderr kc-cert verify --frob "$F/alice.crt" --domain alice
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: unknown option '--frob'" ]
	[[ ${stderr_lines[1]} == "Usage: kc cert verify "* ]]
	run -2 --separate-stderr kc-cert inspect -x "$F/alice.crt"
	[ "${stderr_lines[0]}" = "kc-cert: unknown option '-x'" ]
	run -2 --separate-stderr kc-cert --frob
	[ "${stderr_lines[0]}" = "kc-cert: unknown option '--frob'" ]
}

@test "cert: an option of another subcommand is a usage error (2)" {
	run -2 --separate-stderr kc-cert verify "$F/alice.crt" --domain alice --force
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: option '--force' does not apply to 'verify'" ]
	[[ ${stderr_lines[1]} == "Usage: kc cert verify "* ]]
}

@test "cert: a repeated option is a usage error (2)" {
	run -2 --separate-stderr kc-cert verify "$F/alice.crt" --domain alice --domain bob
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: option '--domain' given twice" ]
}

@test "cert: an option without its value is a usage error (2)" {
	run -2 --separate-stderr kc-cert verify "$F/alice.crt" --domain
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: option '--domain' needs a value" ]
}

@test "cert: a missing or extra operand is a usage error (2)" {
	run -2 --separate-stderr kc-cert verify --domain alice
	[ "${stderr_lines[0]}" = "kc-cert: missing operand" ]
	run -2 --separate-stderr kc-cert inspect "$F/alice.crt" "$F/bob.crt"
	[ "${stderr_lines[0]}" = "kc-cert: unexpected operand '$F/bob.crt'" ]
	[ -z "$output" ]
}

@test "cert: a bad -o value is a usage error (2)" {
	run -2 --separate-stderr kc-cert inspect -o yaml "$F/alice.crt"
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: invalid output format 'yaml': use text or json" ]
}

@test "cert: kc cert runs kc-cert through the dispatcher" {
	run -0 --separate-stderr kc cert verify "$F/alice.crt" --domain alice
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -3 --separate-stderr kc cert verify "$F/bob.crt" --domain alice
	[[ $stderr == "kc-cert: "*"CN is 'bob'"* ]]
	run -0 kc cert --version
	[ "$output" = "kc-cert $(cat "$KC_SRC/VERSION")" ]
	run -0 kc help cert
	[ "${lines[0]}" = "Usage: kc cert COMMAND [ARGS...]" ]
}

# ---- inspect ------------------------------------------------------------------------------

@test "cert inspect: prints subject, issuer, serial, dates, key and fingerprint as openssl does" {
	run -0 --separate-stderr kc-cert inspect "$F/alice.crt"
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 8 ]
	[ "${lines[0]}" = "subject: alice" ]
	[ "${lines[1]}" = "issuer: alice" ]
	[ "${lines[2]}" = "serial: $(openssl x509 -in "$F/alice.crt" -noout -serial | cut -d= -f2)" ]
	local nb na
	nb=$(date -u -d "$(openssl x509 -in "$F/alice.crt" -noout -startdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
	na=$(date -u -d "$(openssl x509 -in "$F/alice.crt" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
	[ "${lines[3]}" = "notBefore: $nb" ]
	[ "${lines[4]}" = "notAfter: $na" ]
	[ "${lines[5]}" = "keyAlgorithm: RSA" ]
	[ "${lines[6]}" = "keyBits: 2048" ]
	[ "${lines[7]}" = "sha256: $(openssl x509 -in "$F/alice.crt" -noout -fingerprint -sha256 | cut -d= -f2)" ]
}

@test "cert inspect: -o json prints one object with lowerCamelCase keys" {
	run -0 --separate-stderr kc-cert inspect -o json "$F/alice.crt"
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	local fp
	fp=$(openssl x509 -in "$F/alice.crt" -noout -fingerprint -sha256 | cut -d= -f2)
	jq -e --arg fp "$fp" '.subject == "alice" and .issuer == "alice" and .keyAlgorithm == "RSA"
		and .keyBits == 2048 and .sha256 == $fp and (.serial | test("^[0-9A-F]+$"))
		and (.notBefore | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
		and (.notAfter | test("Z$")) and (keys | length) == 8' <<<"$output"
}

@test "cert inspect: reads standard input for -" {
	run -0 --separate-stderr kc-cert inspect - <"$F/bob.crt"
	[ "${lines[0]}" = "subject: bob" ]
}

@test "cert inspect: shows an EC key, an expired cert, a name without CN" {
	run -0 --separate-stderr kc-cert inspect -o json "$F/ec.crt"
	jq -e '.keyAlgorithm == "EC" and .keyBits == 256' <<<"$output"
	run -0 --separate-stderr kc-cert inspect "$F/expired.crt"
	[ -z "$stderr" ]
	run -0 --separate-stderr kc-cert inspect "$F/nocn.crt"
	[ "${lines[0]}" = "subject: O=acme" ]
}

@test "cert inspect: control characters in a CN do not break the line" {
	run -0 --separate-stderr kc-cert inspect "$F/ctrl.crt"
	[ "${#lines[@]}" -eq 8 ]
	[ "${lines[0]}" = "subject: ali?ce" ]
	run -0 --separate-stderr kc-cert inspect -o json "$F/ctrl.crt"
	jq -e '.subject == "ali\nce"' <<<"$output"
}

@test "cert inspect: rejects what is not a PEM certificate (3)" {
	local f
	for f in garbage empty alice.der alice.key text truncated.crt; do
		run -3 --separate-stderr kc-cert inspect "$F/$f"
		[ -z "$output" ]
		[ "$stderr" = "kc-cert: '$F/$f' is not a PEM certificate" ]
	done
}

@test "cert inspect: an unreadable file is bad input (3)" {
	run -3 --separate-stderr kc-cert inspect "$F/nope.crt"
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: cannot read '$F/nope.crt': No such file or directory" ]
	run -3 --separate-stderr kc-cert inspect "$F/dir"
	[ "$stderr" = "kc-cert: cannot read '$F/dir': Is a directory" ]
}

# ---- verify -------------------------------------------------------------------------------

@test "cert verify: accepts a good cert silently" {
	run -0 --separate-stderr kc-cert verify "$F/alice.crt" --domain alice
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "cert verify: -o json prints ok true and reason null" {
	run -0 --separate-stderr kc-cert verify -o json "$F/alice.crt" --domain alice
	[ "$output" = '{"ok":true,"reason":null}' ]
	[ -z "$stderr" ]
}

@test "cert verify: accepts the matching key as PKCS#8, PKCS#1 or base64" {
	local k
	for k in alice.key alice-pkcs1.key alice.key.b64; do
		run -0 --separate-stderr kc-cert verify "$F/alice.crt" --domain alice --key "$F/$k"
		[ -z "$output" ]
		[ -z "$stderr" ]
	done
}

@test "cert verify: reads the cert from standard input for -" {
	run -0 --separate-stderr kc-cert verify - --domain alice <"$F/alice.crt"
	[ -z "$stderr" ]
	run -3 --separate-stderr kc-cert verify - --domain alice </dev/null
	[ "$stderr" = "kc-cert: standard input is not a PEM certificate" ]
}

@test "cert verify: rejects a missing file as unreadable" {
	verify_fails unreadable "cannot read '$F/nope.crt': No such file or directory" \
		"$F/nope.crt" --domain alice
}

@test "cert verify: rejects a directory as unreadable" {
	verify_fails unreadable "cannot read '$F/dir': Is a directory" "$F/dir" --domain alice
}

@test "cert verify: rejects an empty file as not PEM" {
	verify_fails not-pem "'$F/empty' is not a PEM certificate" "$F/empty" --domain alice
}

@test "cert verify: rejects garbage as not PEM" {
	verify_fails not-pem "'$F/garbage' is not a PEM certificate" "$F/garbage" --domain alice
}

@test "cert verify: rejects a DER cert as not PEM" {
	verify_fails not-pem "'$F/alice.der' is not a PEM certificate" "$F/alice.der" --domain alice
}

@test "cert verify: rejects a private key as not PEM, without printing it" {
	verify_fails not-pem "'$F/alice.key' is not a PEM certificate" "$F/alice.key" --domain alice
	[[ $stderr != *PRIVATE* ]]
}

@test "cert verify: rejects an EC cert as not RSA" {
	verify_fails not-rsa "certificate '$F/ec.crt': the key is EC, not RSA" "$F/ec.crt" --domain alice
}

@test "cert verify: rejects a CN mismatch" {
	verify_fails cn-mismatch "certificate '$F/bob.crt': CN is 'bob', not 'alice'" \
		"$F/bob.crt" --domain alice
}

@test "cert verify: rejects a cert without CN as a CN mismatch" {
	verify_fails cn-mismatch "certificate '$F/nocn.crt': no CN, expected 'alice'" \
		"$F/nocn.crt" --domain alice
}

@test "cert verify: rejects an expired cert" {
	verify_fails expired "certificate '$F/expired.crt': expired at 20*Z" \
		"$F/expired.crt" --domain alice
}

@test "cert verify: rejects a cert that is not yet valid" {
	verify_fails not-yet-valid "certificate '$F/future.crt': not valid before 20*Z" \
		"$F/future.crt" --domain alice
}

@test "cert verify: rejects a key that does not match" {
	verify_fails key-mismatch "certificate '$F/alice.crt' does not match the key in '$F/bob.key'" \
		"$F/alice.crt" --domain alice --key "$F/bob.key"
	[[ $stderr != *PRIVATE* ]]
}

@test "cert verify: rejects an unreadable or bad --key file (3)" {
	verify_fails unreadable "cannot read '$F/nope.key': No such file or directory" \
		"$F/alice.crt" --domain alice --key "$F/nope.key"
	verify_fails unreadable "'$F/garbage' holds no private key (PEM, or base64 of PEM)" \
		"$F/alice.crt" --domain alice --key "$F/garbage"
	verify_fails unreadable "'$F/alice.crt' holds no private key (PEM, or base64 of PEM)" \
		"$F/alice.crt" --domain alice --key "$F/alice.crt"
}

@test "cert verify: checks in order: RSA before CN, CN before dates, dates before key" {
	run -3 --separate-stderr kc-cert verify -o json "$F/ec.crt" --domain bob
	[ "$output" = '{"ok":false,"reason":"not-rsa"}' ]
	run -3 --separate-stderr kc-cert verify -o json "$F/expired.crt" --domain bob
	[ "$output" = '{"ok":false,"reason":"cn-mismatch"}' ]
	run -3 --separate-stderr kc-cert verify -o json "$F/expired.crt" --domain alice --key "$F/bob.key"
	[ "$output" = '{"ok":false,"reason":"expired"}' ]
}

@test "cert verify: --allow-expired turns expired and not yet valid into warnings" {
	run -0 --separate-stderr kc-cert verify --allow-expired "$F/expired.crt" --domain alice
	[ -z "$output" ]
	[[ $stderr == "kc-cert: warning: certificate '$F/expired.crt': expired at "* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run -0 --separate-stderr kc-cert verify --allow-expired -o json "$F/future.crt" --domain alice
	[ "$output" = '{"ok":true,"reason":null}' ]
	[[ $stderr == "kc-cert: warning: certificate '$F/future.crt': not valid before "* ]]
}

@test "cert verify: --allow-expired still checks the CN and the key" {
	run -3 --separate-stderr kc-cert verify --allow-expired "$F/expired.crt" --domain bob
	[[ $stderr == *"CN is 'alice', not 'bob'" ]]
	run -3 --separate-stderr kc-cert verify --allow-expired -o json "$F/expired.crt" \
		--domain alice --key "$F/bob.key"
	[ "$output" = '{"ok":false,"reason":"key-mismatch"}' ]
}

@test "cert verify: control characters in a CN do not break the message" {
	run -3 --separate-stderr kc-cert verify "$F/ctrl.crt" --domain alice
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"CN is 'ali?ce'"* ]]
}

@test "cert verify: FILE and --key cannot both be standard input (2)" {
	run -2 --separate-stderr kc-cert verify - --domain alice --key - <"$F/alice.crt"
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: FILE and --key cannot both be standard input" ]
}

@test "cert verify: --domain is required (2)" {
	run -2 --separate-stderr kc-cert verify "$F/alice.crt"
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: missing --domain ID" ]
}

# ---- b64 ----------------------------------------------------------------------------------

@test "cert b64: prints the file as one line of base64, as base64 -w0 does" {
	run -0 --separate-stderr kc-cert b64 --domain alice "$F/alice.crt"
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "$(base64 -w0 "$F/alice.crt")" ]
	[ "$output" = "$(base64 "$F/alice.crt" | tr -d '\n')" ]
	run -0 --separate-stderr kc-cert b64 --domain alice - <"$F/alice.crt"
	[ "$output" = "$(base64 -w0 "$F/alice.crt")" ]
}

@test "cert b64: an expired cert only warns" {
	run -0 --separate-stderr kc-cert b64 --domain alice "$F/expired.crt"
	[ "$output" = "$(base64 -w0 "$F/expired.crt")" ]
	[[ $stderr == "kc-cert: warning: "*"expired at "* ]]
}

@test "cert b64: rejects a bad cert with nothing on stdout (3)" {
	run -3 --separate-stderr kc-cert b64 --domain alice "$F/bob.crt"
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: certificate '$F/bob.crt': CN is 'bob', not 'alice'" ]
	run -3 --separate-stderr kc-cert b64 --domain alice "$F/alice.der"
	[ -z "$output" ]
	run -3 --separate-stderr kc-cert b64 --domain alice "$F/ec.crt"
	[ -z "$output" ]
}

@test "cert b64 and import: the certificate first, no private key beside it (3)" {
	# Kuscia reads only the first PEM block of a Domain's cert, and a Domain is readable by all
	cat "$F/alice.crt" "$F/alice.key" >"$BATS_TEST_TMPDIR/with-key.crt"
	cat "$F/bob.crt" "$F/alice.crt" >"$BATS_TEST_TMPDIR/bob-first.crt"
	{ printf 'comment\n'; cat "$F/alice.crt" "$F/bob.crt"; } >"$BATS_TEST_TMPDIR/text-then-two.crt"
	run -3 --separate-stderr kc-cert b64 --domain alice "$BATS_TEST_TMPDIR/with-key.crt"
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: '$BATS_TEST_TMPDIR/with-key.crt' also holds a private key, which must not go into the cluster -- keep only alice's certificate in it" ]
	[[ $stderr != *"PRIVATE KEY-----"* ]]
	run -3 --separate-stderr kc-cert import alice "$BATS_TEST_TMPDIR/with-key.crt"
	[ ! -e "$CERTS/alice.domain.crt" ]
	# the first block is bob's certificate, as Kuscia would read it: not alice's
	run -3 --separate-stderr kc-cert b64 --domain alice "$BATS_TEST_TMPDIR/bob-first.crt"
	[ -z "$output" ]
	[[ $stderr == *"CN is 'bob', not 'alice'"* ]]
	# a label past 63 characters holding PRIVATE KEY is a key all the same
	{ cat "$F/alice.crt"; printf -- '-----BEGIN %070d PRIVATE KEY-----\nAA==\n-----END %070d PRIVATE KEY-----\n' 0 0; } \
		>"$BATS_TEST_TMPDIR/long-label.crt"
	run -3 --separate-stderr kc-cert b64 --domain alice "$BATS_TEST_TMPDIR/long-label.crt"
	[[ $stderr == *"also holds a private key"* ]]
	{ cat "$F/alice.key"; cat "$F/alice.crt"; } >"$BATS_TEST_TMPDIR/key-first.crt"
	run -3 --separate-stderr kc-cert b64 --domain alice "$BATS_TEST_TMPDIR/key-first.crt"
	[[ $stderr == *"also holds a private key"* ]]
	{ printf -- '-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n'
		cat "$F/alice.crt"; } >"$BATS_TEST_TMPDIR/csr-first.crt"
	run -3 --separate-stderr kc-cert import alice "$BATS_TEST_TMPDIR/csr-first.crt"
	[ "$stderr" = "kc-cert: '$BATS_TEST_TMPDIR/csr-first.crt' does not start with its certificate (Kuscia reads only the first PEM block) -- keep only alice's certificate in it" ]
	[ ! -e "$CERTS/alice.domain.crt" ]
	# text before the first block, and a second certificate after it, are still fine
	run -0 kc-cert b64 --domain alice "$BATS_TEST_TMPDIR/text-then-two.crt"
	[ "$output" = "$(base64 -w0 "$BATS_TEST_TMPDIR/text-then-two.crt")" ]
}

@test "cert b64: --domain is required (2)" {
	run -2 --separate-stderr kc-cert b64 "$F/alice.crt"
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: missing --domain ID" ]
}

# ---- import -------------------------------------------------------------------------------

@test "cert import: installs the cert as var/certs/ID.domain.crt, mode 0644" {
	run -0 --separate-stderr kc-cert import alice "$F/alice.crt"
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: installed '$CERTS/alice.domain.crt'" ]
	cmp "$F/alice.crt" "$CERTS/alice.domain.crt"
	[ "$(stat -c %a "$CERTS/alice.domain.crt")" = 644 ]
	certs_are alice.domain.crt
}

@test "cert import: reads standard input without FILE or with -, and -q is silent" {
	run -0 --separate-stderr kc-cert import -q alice <"$F/alice.crt"
	[ -z "$output" ]
	[ -z "$stderr" ]
	cmp "$F/alice.crt" "$CERTS/alice.domain.crt"
	run -0 --separate-stderr kc-cert import bob - <"$F/bob.crt"
	cmp "$F/bob.crt" "$CERTS/bob.domain.crt"
}

@test "cert import: the same cert again is a no-op" {
	cp "$F/alice.crt" "$CERTS/alice.domain.crt"
	local inode
	inode=$(stat -c %i "$CERTS/alice.domain.crt")
	run -0 --separate-stderr kc-cert import alice "$F/alice.crt"
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: '$CERTS/alice.domain.crt' already holds this certificate" ]
	[ "$(stat -c %i "$CERTS/alice.domain.crt")" = "$inode" ]
	run -0 --separate-stderr kc-cert import -q alice "$F/alice.crt"
	[ -z "$stderr" ]
}

@test "cert import: refuses to replace a different cert without --force (3)" {
	cp "$F/alice.crt" "$CERTS/alice.domain.crt"
	run -3 --separate-stderr kc-cert import alice "$F/alice2.crt"
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: '$CERTS/alice.domain.crt' already holds a different certificate -- use --force to replace it" ]
	cmp "$F/alice.crt" "$CERTS/alice.domain.crt"
	certs_are alice.domain.crt
}

@test "cert import: --force replaces a different cert" {
	cp "$F/alice.crt" "$CERTS/alice.domain.crt"
	run -0 --separate-stderr kc-cert import --force alice "$F/alice2.crt"
	cmp "$F/alice2.crt" "$CERTS/alice.domain.crt"
	[ "$(stat -c %a "$CERTS/alice.domain.crt")" = 644 ]
	certs_are alice.domain.crt
}

@test "cert import: an expired cert is installed with a warning" {
	run -0 --separate-stderr kc-cert import alice "$F/expired.crt"
	[[ ${stderr_lines[0]} == "kc-cert: warning: "*"expired at "* ]]
	cmp "$F/expired.crt" "$CERTS/alice.domain.crt"
}

@test "cert import: rejects an invalid domain id and writes nothing (3)" {
	local id
	for id in Alice default a/b -alice ''; do
		run -3 --separate-stderr kc-cert import -- "$id" "$F/alice.crt"
		[ -z "$output" ]
		[[ $stderr == "kc-cert: invalid domain id '$id': "* ]]
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
	certs_are
}

@test "cert import: rejects a cert for another domain and writes nothing (3)" {
	run -3 --separate-stderr kc-cert import alice "$F/bob.crt"
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: certificate '$F/bob.crt': CN is 'bob', not 'alice'" ]
	certs_are
}

@test "cert import: rejects DER, EC and garbage and writes nothing (3)" {
	local f
	for f in alice.der ec.crt garbage empty; do
		run -3 --separate-stderr kc-cert import alice "$F/$f"
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
	certs_are
}

@test "cert import: a missing var/certs is a system error (4)" {
	rmdir "$CERTS"
	run -4 --separate-stderr kc-cert import alice "$F/alice.crt"
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: cannot use '$CERTS': No such file or directory" ]
	[ ! -e "$CERTS" ]
}

@test "cert import: refuses to replace a symbolic link (4)" {
	cp "$F/bob.crt" "$BATS_TEST_TMPDIR/target.crt"
	ln -s "$BATS_TEST_TMPDIR/target.crt" "$CERTS/alice.domain.crt"
	run -4 --separate-stderr kc-cert import --force alice "$F/alice.crt"
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: '$CERTS/alice.domain.crt' is a symbolic link -- refusing to replace it" ]
	[ -L "$CERTS/alice.domain.crt" ]
	cmp "$F/bob.crt" "$BATS_TEST_TMPDIR/target.crt"
	no_tmp_left
}

@test "cert import: a directory in the way is a system error (4)" {
	mkdir "$CERTS/alice.domain.crt"
	run -4 --separate-stderr kc-cert import --force alice "$F/alice.crt"
	[ "$stderr" = "kc-cert: '$CERTS/alice.domain.crt' is not a regular file" ]
	[ -d "$CERTS/alice.domain.crt" ]
}

@test "cert import: a failing write leaves the old file intact and no temp file (4)" {
	unshare -m true 2>/dev/null || skip "unshare -m is not available here"
	cp "$F/alice.crt" "$CERTS/alice.domain.crt"
	# var/certs read-only in a private mount namespace (root ignores chmod)
	# shellcheck disable=SC2016 # expanded by the inner sh
	run -4 --separate-stderr unshare -m sh -c 'mount --bind "$1" "$1" &&
		mount -o remount,ro,bind "$1" && exec kc-cert import --force alice "$2"' \
		sh "$CERTS" "$F/alice2.crt"
	[ -z "$output" ]
	[[ $stderr == "kc-cert: cannot create a file in '$CERTS': Read-only file system" ]]
	cmp "$F/alice.crt" "$CERTS/alice.domain.crt"
	no_tmp_left
	certs_are alice.domain.crt
}

# ---- export -------------------------------------------------------------------------------

@test "cert export: prints our domain.crt when it matches domain.key" {
	cp "$F/alice.crt" "$CERTS/domain.crt"
	cp "$F/alice-pkcs1.key" "$CERTS/domain.key"
	run -0 --separate-stderr kc-cert export
	[ -z "$stderr" ]
	[ "$output" = "$(cat "$F/alice.crt")" ]
	kc-cert export | cmp - "$F/alice.crt"
	run -0 --separate-stderr kc-cert export -o text
	[ "$output" = "$(cat "$F/alice.crt")" ]
}

@test "cert export: a cert that does not match the key is bad input (3)" {
	cp "$F/alice.crt" "$CERTS/domain.crt"
	cp "$F/bob.key" "$CERTS/domain.key"
	run -3 --separate-stderr kc-cert export
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: '$CERTS/domain.crt' does not match '$CERTS/domain.key'" ]
}

@test "cert export: a garbage cert or key is bad input (3)" {
	cp "$F/garbage" "$CERTS/domain.crt"
	cp "$F/alice.key" "$CERTS/domain.key"
	run -3 --separate-stderr kc-cert export
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: '$CERTS/domain.crt' is not a PEM certificate" ]
	cp "$F/alice.crt" "$CERTS/domain.crt"
	cp "$F/text" "$CERTS/domain.key"
	run -3 --separate-stderr kc-cert export
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: '$CERTS/domain.key' holds no private key" ]
}

@test "cert export: a missing domain.crt or domain.key is a system error (4)" {
	run -4 --separate-stderr kc-cert export
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: cannot read '$CERTS/domain.crt': No such file or directory" ]
	cp "$F/alice.crt" "$CERTS/domain.crt"
	run -4 --separate-stderr kc-cert export
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: cannot read '$CERTS/domain.key': No such file or directory" ]
}

@test "cert export: -o json is a usage error (2)" {
	run -2 --separate-stderr kc-cert export -o json
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: export prints PEM: use -o text" ]
}

# ---- gen ----------------------------------------------------------------------------------

@test "cert gen: prints a self-signed v1 cert, CN=ID, SHA-256, 36500 days, over the key" {
	run -0 --separate-stderr kc-cert gen alice --key "$F/alice.key"
	[ -z "$stderr" ]
	printf '%s\n' "$output" >gen.crt
	[ "$(openssl x509 -in gen.crt -noout -subject)" = "subject=CN = alice" ]
	[ "$(openssl x509 -in gen.crt -noout -issuer)" = "issuer=CN = alice" ]
	openssl x509 -in gen.crt -noout -text >gen.txt
	grep -q 'Version: 1 (0x0)' gen.txt
	grep -q 'Signature Algorithm: sha256WithRSAEncryption' gen.txt
	run ! grep -q 'X509v3 extensions' gen.txt
	openssl verify -CAfile gen.crt gen.crt
	openssl x509 -in gen.crt -noout -checkend $((36499 * 86400))
	run ! openssl x509 -in gen.crt -noout -checkend $((36501 * 86400))
	[ "$(openssl x509 -in gen.crt -noout -pubkey)" = "$(openssl pkey -in "$F/alice.key" -pubout)" ]
	kc-cert verify gen.crt --domain alice --key "$F/alice.key"
}

@test "cert gen: takes the key as base64 (domainKeyData) or PKCS#1, and from standard input" {
	run -0 --separate-stderr kc-cert gen bob --key "$F/alice.key.b64"
	printf '%s\n' "$output" >b64.crt
	kc-cert verify b64.crt --domain bob --key "$F/alice.key"
	run -0 --separate-stderr kc-cert gen bob --key - <"$F/alice.key.b64"
	printf '%s\n' "$output" >stdin.crt
	kc-cert verify stdin.crt --domain bob --key "$F/alice.key"
	run -0 --separate-stderr kc-cert gen bob --key "$F/alice-pkcs1.key"
	[ -z "$stderr" ]
}

@test "cert gen: --days sets the validity and serials are random" {
	run -0 --separate-stderr kc-cert gen alice --key "$F/alice.key" --days 10
	printf '%s\n' "$output" >a.crt
	openssl x509 -in a.crt -noout -checkend $((9 * 86400))
	run ! openssl x509 -in a.crt -noout -checkend $((11 * 86400))
	kc-cert gen alice --key "$F/alice.key" >b.crt
	[ "$(openssl x509 -in a.crt -noout -serial)" != "$(openssl x509 -in b.crt -noout -serial)" ]
}

@test "cert gen: --csr also writes the certificate request" {
	run -0 --separate-stderr kc-cert gen alice --key "$F/alice.key" --csr alice.domain.csr
	[ -z "$stderr" ]
	openssl req -in alice.domain.csr -noout -verify
	[ "$(openssl req -in alice.domain.csr -noout -subject)" = "subject=CN = alice" ]
}

@test "cert gen: rejects an EC key, a bad or missing key file and writes nothing (3)" {
	run -3 --separate-stderr kc-cert gen alice --key "$F/ec.key" --csr x.csr
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: the key in '$F/ec.key' is EC, not RSA" ]
	run -3 --separate-stderr kc-cert gen alice --key "$F/garbage" --csr x.csr
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: '$F/garbage' holds no private key (PEM, or base64 of PEM)" ]
	run -3 --separate-stderr kc-cert gen alice --key "$F/nope.key" --csr x.csr
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: cannot read '$F/nope.key': No such file or directory" ]
	[ ! -e x.csr ]
}

@test "cert gen: rejects an invalid domain id (3)" {
	run -3 --separate-stderr kc-cert gen 'a/b' --key "$F/alice.key" --csr x.csr
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: invalid domain id 'a/b': use only lower-case letters, digits and '-'" ]
	[ ! -e x.csr ]
}

@test "cert gen: --key is required and --days must be a whole number of days (2)" {
	run -2 --separate-stderr kc-cert gen alice
	[ "${stderr_lines[0]}" = "kc-cert: missing --key KEYFILE" ]
	local d
	for d in 0 -1 abc 10x 99999999999999999999 2000001; do
		run -2 --separate-stderr kc-cert gen alice --key "$F/alice.key" --days "$d"
		[ -z "$output" ]
		[[ ${stderr_lines[0]} == "kc-cert: invalid --days '$d': use a whole number from 1 to "* ]]
	done
}

# ---- keygen -------------------------------------------------------------------------------

@test "cert keygen: prints one line of base64 of a PKCS#8 RSA-2048 key" {
	run -0 --separate-stderr kc-cert keygen
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	base64 -d <<<"$output" >k.pem
	[ "$(head -n 1 k.pem)" = "-----BEGIN PRIVATE KEY-----" ]
	openssl pkey -in k.pem -noout -check
	openssl pkey -in k.pem -noout -text | grep -q 'Private-Key: (2048 bit'
	run -0 kc-cert keygen
	[ "$output" != "$(base64 -w0 k.pem)" ]
}

@test "cert keygen: --out writes the PEM key with mode 0600" {
	run -0 --separate-stderr kc-cert keygen --out k.pem
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(stat -c %a k.pem)" = 600 ]
	openssl pkey -in k.pem -noout -check
	run ! compgen -G '.kc-tmp.*'
}

@test "cert keygen: refuses an existing --out file without --force (3)" {
	printf 'keep me\n' >k.pem
	run -3 --separate-stderr kc-cert keygen --out k.pem
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: 'k.pem' already exists -- use --force to replace it" ]
	[ "$(cat k.pem)" = "keep me" ]
	run -0 --separate-stderr kc-cert keygen --out k.pem --force
	openssl pkey -in k.pem -noout -check
	[ "$(stat -c %a k.pem)" = 600 ]
}

@test "cert keygen: --force without --out is a usage error (2)" {
	run -2 --separate-stderr kc-cert keygen --force
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-cert: --force needs --out FILE" ]
}

# ---- client -------------------------------------------------------------------------------

@test "cert client: makes the KusciaAPI client key, csr and cert signed by the node CA" {
	cp "$F/ca.crt" "$F/ca.key" "$CERTS/"
	run -0 --separate-stderr kc-cert client
	[ -z "$output" ]
	[ -z "$stderr" ]
	certs_are ca.crt ca.key ca.srl kusciaapi-client.crt kusciaapi-client.csr kusciaapi-client.key
	[ "$(stat -c %a "$CERTS/kusciaapi-client.key")" = 600 ]
	[ "$(head -n 1 "$CERTS/kusciaapi-client.key")" = "-----BEGIN PRIVATE KEY-----" ]
	openssl verify -CAfile "$CERTS/ca.crt" "$CERTS/kusciaapi-client.crt"
	[ "$(openssl x509 -in "$CERTS/kusciaapi-client.crt" -noout -subject)" = "subject=CN = KusciaAPIClient" ]
	[ "$(openssl req -in "$CERTS/kusciaapi-client.csr" -noout -subject)" = "subject=CN = KusciaAPIClient" ]
	kc-cert verify "$CERTS/kusciaapi-client.crt" --domain KusciaAPIClient --key "$CERTS/kusciaapi-client.key"
	openssl x509 -in "$CERTS/kusciaapi-client.crt" -noout -checkend $((999 * 86400))
	run ! openssl x509 -in "$CERTS/kusciaapi-client.crt" -noout -checkend $((1001 * 86400))
	openssl x509 -in "$CERTS/kusciaapi-client.crt" -noout -text | grep -q 'sha256WithRSAEncryption'
	[ "$(openssl x509 -in "$CERTS/kusciaapi-client.crt" -noout -serial | cut -d= -f2)" = "$(cat "$CERTS/ca.srl")" ]
	no_tmp_left
}

@test "cert client: the next serial follows ca.srl" {
	cp "$F/ca.crt" "$F/ca.key" "$CERTS/"
	printf '0FFF\n' >"$CERTS/ca.srl"
	run -0 --separate-stderr kc-cert client --days 5
	[ "$(openssl x509 -in "$CERTS/kusciaapi-client.crt" -noout -serial)" = "serial=1000" ]
	[ "$(cat "$CERTS/ca.srl")" = 1000 ]
	run ! openssl x509 -in "$CERTS/kusciaapi-client.crt" -noout -checkend $((6 * 86400))
}

@test "cert client: refuses an existing client key without --force, replaces it with (3)" {
	cp "$F/ca.crt" "$F/ca.key" "$CERTS/"
	kc-cert client
	cp "$CERTS/kusciaapi-client.key" old.key
	cp "$CERTS/kusciaapi-client.crt" old.crt
	run -3 --separate-stderr kc-cert client
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: '$CERTS/kusciaapi-client.key' already exists -- use --force to replace it" ]
	cmp old.key "$CERTS/kusciaapi-client.key"
	cmp old.crt "$CERTS/kusciaapi-client.crt"
	run -0 --separate-stderr kc-cert client --force
	run ! cmp -s old.key "$CERTS/kusciaapi-client.key"
	kc-cert verify "$CERTS/kusciaapi-client.crt" --domain KusciaAPIClient --key "$CERTS/kusciaapi-client.key"
}

@test "cert client: without ca.key writes nothing (4)" {
	cp "$F/ca.crt" "$CERTS/"
	run -4 --separate-stderr kc-cert client --force
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: cannot read '$CERTS/ca.key': No such file or directory" ]
	certs_are ca.crt
}

@test "cert client: without ca.crt writes nothing (4)" {
	cp "$F/ca.key" "$CERTS/"
	run -4 --separate-stderr kc-cert client
	[ "$stderr" = "kc-cert: cannot read '$CERTS/ca.crt': No such file or directory" ]
	certs_are ca.key
}

@test "cert client: a garbage or mismatched CA writes nothing (3)" {
	cp "$F/ca.crt" "$CERTS/"
	cp "$F/garbage" "$CERTS/ca.key"
	run -3 --separate-stderr kc-cert client
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: '$CERTS/ca.key' holds no private key" ]
	cp "$F/bob.key" "$CERTS/ca.key"
	run -3 --separate-stderr kc-cert client
	[ "$stderr" = "kc-cert: '$CERTS/ca.key' does not match '$CERTS/ca.crt'" ]
	cp "$F/text" "$CERTS/ca.crt"
	run -3 --separate-stderr kc-cert client
	[ "$stderr" = "kc-cert: '$CERTS/ca.crt' is not a PEM certificate" ]
	certs_are ca.crt ca.key
}

@test "cert client: a garbage ca.srl writes nothing (3)" {
	cp "$F/ca.crt" "$F/ca.key" "$CERTS/"
	printf 'xyz\n' >"$CERTS/ca.srl"
	run -3 --separate-stderr kc-cert client
	[ "$stderr" = "kc-cert: '$CERTS/ca.srl' holds no serial number" ]
	certs_are ca.crt ca.key ca.srl
}

# ---- output and system errors -------------------------------------------------------------

@test "cert: a write error on standard output is a system error (4)" {
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -4 --separate-stderr sh -c 'exec kc-cert "$@" >/dev/full' sh b64 --domain alice "$F/alice.crt"
	[ "$stderr" = "kc-cert: write error on standard output: No space left on device" ]
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -4 --separate-stderr sh -c 'exec kc-cert "$@" >/dev/full' sh gen alice --key "$F/alice.key"
	[ "$stderr" = "kc-cert: write error on standard output: No space left on device" ]
}

@test "cert gen: a --csr in a missing folder is a system error with nothing on stdout (4)" {
	run -4 --separate-stderr kc-cert gen alice --key "$F/alice.key" --csr nodir/x.csr
	[ -z "$output" ]
	[ "$stderr" = "kc-cert: cannot create a file in 'nodir': No such file or directory" ]
}

@test "cert keygen: the key file is 0600 whatever the umask" {
	umask 000
	run -0 --separate-stderr kc-cert keygen --out k.pem
	[ "$(stat -c %a k.pem)" = 600 ]
}

@test "cert import: a full disk leaves the old file intact and no temp file (4)" {
	unshare -m true 2>/dev/null || skip "unshare -m is not available here"
	# a tiny tmpfs on var/certs in a private mount namespace, filled up
	# shellcheck disable=SC2016 # expanded by the inner sh
	run -0 --separate-stderr unshare -m sh -c '
		mount -t tmpfs -o size=8k tmpfs "$1" || exit 90
		cp "$2" "$1/alice.domain.crt" || exit 91
		dd if=/dev/zero of="$1/fill" bs=1k count=64 2>/dev/null
		kc-cert import --force alice "$3"
		rc=$?
		cmp -s "$2" "$1/alice.domain.crt" || exit 92
		! ls -A "$1" | grep -q "^\.kc-tmp" || exit 93
		printf "%s\n" "$rc"' sh "$CERTS" "$F/alice.crt" "$F/alice2.crt"
	[ "$output" = 4 ]
	[ "$stderr" = "kc-cert: cannot write '$CERTS/alice.domain.crt': No space left on device" ]
}
