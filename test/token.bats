#!/usr/bin/env bats
# kc-token: the node's KusciaAPI token, and the lite-domain token derived from a domain key
bats_require_minimum_version 1.5.0

setup_file() {
	local d=$BATS_FILE_TMPDIR
	openssl genrsa -traditional -out "$d/pkcs1.key" 2048 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/pkcs8.key" 2>/dev/null
	openssl ecparam -genkey -name prime256v1 -noout -out "$d/ec.key" 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:secret \
		-out "$d/encrypted.key" 2>/dev/null
}

setup() {
	load helper/common
	common_setup
	TOKEN=abcdefghijklmnopqrstuvwxyz+/0123
	USAGE='Usage: kc token [kusciaapi | lite ID [--key FILE] | sa ID [--duration D] [-n NS]]'
}

to_full() { # CMD...: run CMD with stdout on a full disk
	"$@" >/dev/full
}

# what gen_kusciaapi_token.sh computes: openssl's signature, base64, first 32 characters
upstream_token() { # ID KEYFILE
	printf '%s' "$1" | openssl dgst -sha256 -sign "$2" | base64 -w0 | cut -c1-32
}

# ---- kusciaapi ---------------------------------------------------------------------------

@test "token: no subcommand prints var/certs/token and a newline" {
	printf '%s' "$TOKEN" >"$KUSCIA_ROOT/var/certs/token"
	run -0 --separate-stderr kc-token
	[ "$output" = "$TOKEN" ]
	[ -z "$stderr" ]
}

@test "token kusciaapi: prints var/certs/token" {
	printf '%s' "$TOKEN" >"$KUSCIA_ROOT/var/certs/token"
	run -0 --separate-stderr kc-token kusciaapi
	[ "$output" = "$TOKEN" ]
	[ -z "$stderr" ]
}

@test "token kusciaapi: one trailing newline is accepted with a warning" {
	printf '%s\n' "$TOKEN" >"$KUSCIA_ROOT/var/certs/token"
	run -0 --separate-stderr kc-token kusciaapi
	[ "$output" = "$TOKEN" ]
	[[ $stderr == "kc-token: warning: '$KUSCIA_ROOT/var/certs/token' ends with a newline"* ]]
}

@test "token kusciaapi: a missing token file is a system problem (4) naming the file" {
	run -4 --separate-stderr kc-token kusciaapi
	[ -z "$output" ]
	[ "$stderr" = "kc-token: cannot read the KusciaAPI token '$KUSCIA_ROOT/var/certs/token': No such file or directory" ]
}

@test "token kusciaapi: a KUSCIA_ROOT that does not exist is a system problem (4)" {
	KUSCIA_ROOT=$BATS_TEST_TMPDIR/nowhere run -4 --separate-stderr kc-token
	[ -z "$output" ]
	[[ $stderr == "kc-token: cannot read the KusciaAPI token '$BATS_TEST_TMPDIR/nowhere/var/certs/token'"* ]]
}

@test "token kusciaapi: an empty token file is bad input (3)" {
	: >"$KUSCIA_ROOT/var/certs/token"
	run -3 --separate-stderr kc-token kusciaapi
	[ -z "$output" ]
	[ "$stderr" = "kc-token: the KusciaAPI token file '$KUSCIA_ROOT/var/certs/token' is empty" ]
}

@test "token kusciaapi: a malformed token file is bad input (3) and is not echoed" {
	local t bad=(
		"${TOKEN:1}"             # 31 characters
		"${TOKEN}x"              # 33 characters
		"${TOKEN:1}-"            # not the base64 alphabet
		"${TOKEN:2}=="           # padding
		"$TOKEN"$'\n\n'          # two newlines
		"$TOKEN"$'\r\n'          # CR LF
		"${TOKEN:1}"$'\n'        # 31 characters and a newline
		"${TOKEN:0:16} ${TOKEN:17}"
	)
	for t in "${bad[@]}"; do
		printf '%s' "$t" >"$KUSCIA_ROOT/var/certs/token"
		run -3 --separate-stderr kc-token kusciaapi
		[ -z "$output" ]
		[ "$stderr" = "kc-token: '$KUSCIA_ROOT/var/certs/token' is not a KusciaAPI token: Kuscia writes exactly 32 base64 characters" ]
	done
}

@test "token kusciaapi: a directory in place of the token file is bad input (3)" {
	mkdir "$KUSCIA_ROOT/var/certs/token"
	run -3 --separate-stderr kc-token
	[ -z "$output" ]
	[[ $stderr == "kc-token: '$KUSCIA_ROOT/var/certs/token' is not a KusciaAPI token file: Is a directory" ]]
}

@test "token kusciaapi: a huge token file is bad input (3)" {
	head -c 100000 /dev/zero | tr '\0' A >"$KUSCIA_ROOT/var/certs/token"
	run -3 --separate-stderr kc-token
	[ -z "$output" ]
	[[ $stderr == "kc-token: '$KUSCIA_ROOT/var/certs/token' is not a KusciaAPI token file: "* ]]
}

@test "token kusciaapi: takes no operand and no --key (2)" {
	printf '%s' "$TOKEN" >"$KUSCIA_ROOT/var/certs/token"
	run -2 --separate-stderr kc-token kusciaapi extra
	[ -z "$output" ]
	[ "$stderr" = "kc-token: kusciaapi takes no operand, got 'extra'"$'\n'"$USAGE" ]
	run -2 --separate-stderr kc-token kusciaapi --key "$BATS_FILE_TMPDIR/pkcs8.key"
	[ -z "$output" ]
	[ "$stderr" = "kc-token: --key goes with lite only"$'\n'"$USAGE" ]
}

# ---- lite --------------------------------------------------------------------------------

@test "token lite: equals openssl's derivation for a PKCS#8 key given with --key" {
	run -0 --separate-stderr kc-token lite alice --key "$BATS_FILE_TMPDIR/pkcs8.key"
	[ "$output" = "$(upstream_token alice "$BATS_FILE_TMPDIR/pkcs8.key")" ]
	[ "${#output}" -eq 32 ]
	[ -z "$stderr" ]
}

@test "token lite: equals openssl's derivation for a PKCS#1 key given with --key" {
	grep -q 'BEGIN RSA PRIVATE KEY' "$BATS_FILE_TMPDIR/pkcs1.key"
	run -0 --separate-stderr kc-token lite bob --key "$BATS_FILE_TMPDIR/pkcs1.key"
	[ "$output" = "$(upstream_token bob "$BATS_FILE_TMPDIR/pkcs1.key")" ]
	[ -z "$stderr" ]
}

@test "token lite: reads the key from stdin as base64 of the PEM (domainKeyData)" {
	local k
	for k in pkcs1 pkcs8; do
		base64 -w0 "$BATS_FILE_TMPDIR/$k.key" >"$k.b64"
		run -0 --separate-stderr kc-token lite alice <"$k.b64"
		[ "$output" = "$(upstream_token alice "$BATS_FILE_TMPDIR/$k.key")" ]
		[ -z "$stderr" ]
		# '--key -' is stdin too; wrapped base64 and a trailing newline are fine
		base64 "$BATS_FILE_TMPDIR/$k.key" >"$k.b64"
		run -0 --separate-stderr kc-token lite --key - alice <"$k.b64"
		[ "$output" = "$(upstream_token alice "$BATS_FILE_TMPDIR/$k.key")" ]
	done
}

@test "token lite: accepts a PEM key on stdin and a base64 key in a --key file" {
	run -0 kc-token lite alice <"$BATS_FILE_TMPDIR/pkcs8.key"
	[ "$output" = "$(upstream_token alice "$BATS_FILE_TMPDIR/pkcs8.key")" ]
	base64 -w0 "$BATS_FILE_TMPDIR/pkcs1.key" >key.b64
	run -0 kc-token lite alice --key key.b64
	[ "$output" = "$(upstream_token alice "$BATS_FILE_TMPDIR/pkcs1.key")" ]
}

@test "token lite: signs the exact bytes of any non-empty ID, as upstream" {
	local id
	for id in a Alice_1 'with space' 'ünïcödé' '-leading-dash' 'x/y'; do
		run -0 --separate-stderr kc-token lite --key "$BATS_FILE_TMPDIR/pkcs8.key" -- "$id"
		[ "$output" = "$(upstream_token "$id" "$BATS_FILE_TMPDIR/pkcs8.key")" ]
	done
}

@test "token lite: different IDs give different tokens" {
	run -0 kc-token lite alice --key "$BATS_FILE_TMPDIR/pkcs8.key"
	local a=$output
	run -0 kc-token lite alicf --key "$BATS_FILE_TMPDIR/pkcs8.key"
	[ "$output" != "$a" ]
}

@test "token lite: an EC key is bad input (3)" {
	run -3 --separate-stderr kc-token lite alice --key "$BATS_FILE_TMPDIR/ec.key"
	[ -z "$output" ]
	[ "$stderr" = "kc-token: '$BATS_FILE_TMPDIR/ec.key' is not an RSA key but EC: Kuscia domain keys are RSA" ]
	base64 -w0 "$BATS_FILE_TMPDIR/ec.key" >ec.b64
	run -3 --separate-stderr kc-token lite alice <ec.b64
	[ "$stderr" = "kc-token: the key on stdin is not an RSA key but EC: Kuscia domain keys are RSA" ]
}

@test "token lite: garbage, empty input, a certificate or an encrypted key is bad input (3)" {
	local msg="is not a private key: expected an unencrypted PEM key or the base64 of one"
	openssl req -x509 -new -key "$BATS_FILE_TMPDIR/pkcs8.key" -subj /CN=alice -days 1 \
		-out cert.pem 2>/dev/null
	printf 'not a key\n' >garbage
	printf 'bm90IGEga2V5Cg==\n' >b64-not-pem
	: >empty
	head -c 3000 /dev/urandom >binary
	for f in garbage b64-not-pem empty binary cert.pem "$BATS_FILE_TMPDIR/encrypted.key"; do
		run -3 --separate-stderr kc-token lite alice --key "$f"
		[ -z "$output" ]
		[ "$stderr" = "kc-token: '$f' $msg" ]
		run -3 --separate-stderr kc-token lite alice <"$f"
		[ -z "$output" ]
		[ "$stderr" = "kc-token: the key on stdin $msg" ]
	done
}

@test "token lite: a key file that cannot be read is bad input (3)" {
	run -3 --separate-stderr kc-token lite alice --key missing.key
	[ -z "$output" ]
	[ "$stderr" = "kc-token: cannot read the key 'missing.key': No such file or directory" ]
	run -3 --separate-stderr kc-token lite alice --key "$BATS_TEST_TMPDIR"
	[ "$stderr" = "kc-token: cannot read the key '$BATS_TEST_TMPDIR': Is a directory" ]
}

@test "token lite: an empty ID, no ID or two IDs are usage errors (2)" {
	run -2 --separate-stderr kc-token lite '' --key "$BATS_FILE_TMPDIR/pkcs8.key"
	[ -z "$output" ]
	[ "$stderr" = "kc-token: the domain ID is empty"$'\n'"$USAGE" ]
	run -2 --separate-stderr kc-token lite --key "$BATS_FILE_TMPDIR/pkcs8.key"
	[ "$stderr" = "kc-token: lite needs the domain ID"$'\n'"$USAGE" ]
	run -2 --separate-stderr kc-token lite alice bob --key "$BATS_FILE_TMPDIR/pkcs8.key"
	[ "$stderr" = "kc-token: lite takes one domain ID, got 'bob' too"$'\n'"$USAGE" ]
}

@test "token: unknown subcommands and options, a repeated or bare --key are usage errors (2)" {
	run -2 --separate-stderr kc-token sas alice
	[ -z "$output" ]
	[ "$stderr" = "kc-token: unknown subcommand 'sas'"$'\n'"$USAGE" ]
	run -2 --separate-stderr kc-token --frob
	[ "$stderr" = "kc-token: unknown option '--frob'"$'\n'"$USAGE" ]
	run -2 --separate-stderr kc-token -xh
	[ "$stderr" = "kc-token: unknown option '-x'"$'\n'"$USAGE" ]
	run -2 --separate-stderr kc-token lite alice --key a --key b
	[ "$stderr" = "kc-token: --key given twice"$'\n'"$USAGE" ]
	run -2 --separate-stderr kc-token lite alice --key
	[ "$stderr" = "kc-token: option '--key' needs an argument"$'\n'"$USAGE" ]
}

@test "token lite: without --key and with a terminal on stdin it asks for the key (2)" {
	command -v script >/dev/null || skip "script(1) is not installed"
	run -2 script -qec "kc-token lite alice" /dev/null
	[ "${output//$'\r'/}" = "kc-token: give the domain key with --key FILE or on stdin (base64 of the PEM)" ]
}

@test "token: --help prints the usage on stdout; --version one line" {
	run -0 --separate-stderr kc-token --help
	[ "${lines[0]}" = "$USAGE" ]
	[[ $output == *"--key FILE"* ]]
	[ -z "$stderr" ]
	run -0 kc-token -h
	[ "${lines[0]}" = "$USAGE" ]
	run -0 --separate-stderr kc-token --version
	[ "$output" = "kc-token $(cat "$KC_SRC/VERSION")" ]
}

@test "token lite: the key never appears in kc-token's command line" {
	local fifo=$BATS_TEST_TMPDIR/key.fifo pid cmdline keyb64
	keyb64=$(base64 -w0 "$BATS_FILE_TMPDIR/pkcs8.key")
	mkfifo "$fifo"
	exec 7<>"$fifo" # a writer exists, so the reader's open does not block
	# fd 3 is bats' own; fd 7 must close in kc-token, or it never sees the end of its input
	kc-token lite alice <"$fifo" >out 2>err 3>&- 7>&- &
	pid=$!
	# kc-token now waits on stdin; read its command line while it runs
	running() { [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"lite alice "* ]]; }
	poll_until 10 running
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	printf '%s\n' "$keyb64" >&7
	exec 7>&-
	wait "$pid"
	[[ $cmdline == *"lite alice"* ]]
	[[ $cmdline != *"${keyb64:40:40}"* ]]
	[ "$(cat out)" = "$(upstream_token alice "$BATS_FILE_TMPDIR/pkcs8.key")" ]
	[ ! -s err ]
}

@test "token: a write error on stdout is a system error (4)" {
	printf '%s' "$TOKEN" >"$KUSCIA_ROOT/var/certs/token"
	run -4 --separate-stderr to_full kc-token
	[ "$stderr" = "kc-token: write error on standard output: No space left on device" ]
	run -4 --separate-stderr to_full kc-token lite alice --key "$BATS_FILE_TMPDIR/pkcs8.key"
	[ "$stderr" = "kc-token: write error on standard output: No space left on device" ]
}

@test "token: kc token runs kc-token" {
	printf '%s' "$TOKEN" >"$KUSCIA_ROOT/var/certs/token"
	run -0 --separate-stderr kc token
	[ "$output" = "$TOKEN" ]
	run -0 --separate-stderr kc token lite alice --key "$BATS_FILE_TMPDIR/pkcs1.key"
	[ "$output" = "$(upstream_token alice "$BATS_FILE_TMPDIR/pkcs1.key")" ]
	run -3 --separate-stderr kc token lite alice --key "$BATS_FILE_TMPDIR/ec.key"
	[ -z "$output" ]
	[[ $stderr == "kc-token: "*"not an RSA key"* ]]
}
