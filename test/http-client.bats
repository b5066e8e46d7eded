#!/usr/bin/env bats
# the helpers' HTTP/1.1 client (helpers/lib/http.c, net.c), driven through kc-apply against a
# scripted server (test/helper/rawhttpd.py): what goes on the wire, the answers it must read
# (chunked, 1xx, no length), a kept-alive connection gone stale, bad answers, TLS names
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	local d=$BATS_FILE_TMPDIR
	# a self-signed certificate for 127.0.0.1 and localhost, and one for another name
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$d/ok.key" -out "$d/ok.crt" -subj /CN=apiserver \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$d/other.key" -out "$d/other.crt" -subj /CN=apiserver \
		-addext "subjectAltName=DNS:other.example" 2>/dev/null
}

setup() {
	load helper/common
	load helper/rawhttp
	common_setup
	OBJ=$BATS_TEST_TMPDIR/ns.json
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns1"}}\n' >"$OBJ"
	PLAN=$BATS_TEST_TMPDIR/plan.json
	LOG=$BATS_TEST_TMPDIR/requests.log
	echo '[]' >"$PLAN"
	: >"$LOG"
}

teardown() {
	rawhttp_stop
}

raw() { # FORMAT ARGS...: printf's text in RAW, its final newlines kept (unlike $(...))
	RAW=$(
		# shellcheck disable=SC2059 # the format is the argument
		printf "$@"
		printf .
	)
	RAW=${RAW%.}
}
NOTFOUND='{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}'
CREATED='{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns1","resourceVersion":"1"}}'

@test "http: requests carry Host, the token, one Content-Length; chunked answers are read" {
	raw 'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n' \
		"${NOTFOUND:0:16}" "$((${#NOTFOUND} - 16))" "${NOTFOUND:16}"
	step "$RAW"
	raw 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n%x;ext=1\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n' \
		"${#CREATED}" "$CREATED"
	step "$RAW"
	serve
	kubeconfig "http://127.0.0.1:$PORT"
	run -0 --separate-stderr kc-apply -f "$OBJ"
	[ "$output" = "namespace/ns1 created" ]
	[ -z "$stderr" ]
	[ "$(req 1 .line)" = "GET /api/v1/namespaces/ns1 HTTP/1.1" ]
	[ "$(req 1 .headers.host)" = "127.0.0.1:$PORT" ]
	[ "$(req 1 .headers.authorization)" = "Bearer sekret-token-123" ]
	[ "$(req 1 '.headers["content-length"] // "none"')" = none ]
	[[ $(req 2 .line) == "PATCH /api/v1/namespaces/ns1?"*"fieldManager=kc"*" HTTP/1.1" ]]
	[ "$(req 2 '.headers["content-type"]')" = "application/apply-patch+yaml" ]
	[ "$(req 2 '.headers["content-length"]')" = "$(req 2 '.body | length')" ]
	[ "$(req 2 .body | jq -r .metadata.name)" = ns1 ]
	# both on one kept-alive connection
	[ "$(req 2 .connection)" = 1 ]
}

@test "http: a kept-alive connection the server dropped is replaced and the request sent again" {
	step "$(answer '404 Not Found' "$NOTFOUND")"
	drop
	step "$(answer '201 Created' "$CREATED")"
	serve
	kubeconfig "http://127.0.0.1:$PORT"
	run -0 --separate-stderr kc-apply -f "$OBJ"
	[ "$output" = "namespace/ns1 created" ]
	[ "$(wc -l <"$LOG")" -eq 3 ]
	[[ $(req 3 .line) == "PATCH "* ]]
	[ "$(req 3 .connection)" = 2 ]
}

@test "http: a closed connection (Connection: close) is not reused" {
	step "$(answer '404 Not Found' "$NOTFOUND" 'Connection: close\r\n')" true
	step "$(answer '201 Created' "$CREATED")"
	serve
	kubeconfig "http://127.0.0.1:$PORT"
	run -0 --separate-stderr kc-apply -f "$OBJ"
	[ "$output" = "namespace/ns1 created" ]
	[ "$(wc -l <"$LOG")" -eq 2 ]
	[ "$(req 2 .connection)" = 2 ]
}

@test "http: a connection with bytes past the answer is not reused" {
	step "$(answer '404 Not Found' "$NOTFOUND")$(answer '200 OK' '{"stray":true}')"
	step "$(answer '201 Created' "$CREATED")"
	serve
	kubeconfig "http://127.0.0.1:$PORT"
	run -0 --separate-stderr kc-apply -f "$OBJ"
	[ "$output" = "namespace/ns1 created" ]
	[ "$(req 2 .connection)" = 2 ]
}

@test "http: 100 Continue is skipped; an HTTP/1.0 answer without length ends with the stream" {
	raw 'HTTP/1.1 100 Continue\r\n\r\n%s' "$(answer '404 Not Found' "$NOTFOUND")"
	step "$RAW"
	step "$(printf 'HTTP/1.0 201 Created\r\nContent-Type: application/json\r\n\r\n%s' "$CREATED")" true
	serve
	kubeconfig "http://127.0.0.1:$PORT"
	run -0 --separate-stderr kc-apply -o json -f "$OBJ"
	jq -e '.metadata.resourceVersion == "1"' <<<"$output"
}

@test "http: an answer that is not HTTP is a failed request (5)" {
	raw 'SSH-2.0-OpenSSH_9.2\r\n'
	step "$RAW" true
	serve
	kubeconfig "http://127.0.0.1:$PORT"
	run -5 --separate-stderr kc-apply -f "$OBJ"
	[ -z "$output" ]
	[ "$stderr" = "kc-apply: request to 'http://127.0.0.1:$PORT/api/v1/namespaces/ns1' failed: the answer is not HTTP/1.x" ]
}

@test "http: a body shorter than its Content-Length is a failed request (5)" {
	step "$(printf 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"kind":')" true
	serve
	kubeconfig "http://127.0.0.1:$PORT"
	run -5 --separate-stderr kc-apply -f "$OBJ"
	[ "$stderr" = "kc-apply: request to 'http://127.0.0.1:$PORT/api/v1/namespaces/ns1' failed: transfer closed with 92 bytes remaining to read" ]
}

@test "http: a bad chunk size or a bad Content-Length is a failed request (5)" {
	raw 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'
	step "$RAW" true
	raw 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'
	step "$RAW" true
	step "$(printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}')" true
	serve
	kubeconfig "http://127.0.0.1:$PORT"
	run -5 --separate-stderr kc-apply -f "$OBJ"
	[[ $stderr == *"failed: a bad chunk size in the answer" ]]
	run -5 --separate-stderr kc-apply -f "$OBJ"
	[[ $stderr == *"failed: a bad Content-Length in the answer" ]]
	run -5 --separate-stderr kc-apply -f "$OBJ"
	[[ $stderr == *"failed: a bad Content-Length in the answer" ]]
}

@test "http: the server closing without an answer is a failed request (5)" {
	drop
	serve
	kubeconfig "http://127.0.0.1:$PORT"
	run -5 --separate-stderr kc-apply -f "$OBJ"
	[[ $stderr == *"failed: the server closed the connection without answering" ]]
}

@test "http: TLS: the server's IP and name must be in its certificate" {
	step "$(answer '404 Not Found' "$NOTFOUND")"
	step "$(answer '201 Created' "$CREATED")"
	serve --tls "$BATS_FILE_TMPDIR/ok.crt" "$BATS_FILE_TMPDIR/ok.key"
	kubeconfig "https://127.0.0.1:$PORT" "$BATS_FILE_TMPDIR/ok.crt"
	run -0 --separate-stderr kc-apply -f "$OBJ"
	[ "$output" = "namespace/ns1 created" ]
	[ "$(req 2 .connection)" = 1 ]
	# by name: localhost may resolve to ::1 first, where nothing listens
	step "$(answer '200 OK' "$CREATED")"
	step "$(answer '200 OK' "$CREATED")"
	kubeconfig "https://localhost:$PORT" "$BATS_FILE_TMPDIR/ok.crt"
	run -0 --separate-stderr kc-apply -f "$OBJ"
	[[ $output == "namespace/ns1 "@(unchanged|configured) ]]
	[ "$(req 3 .headers.host)" = "localhost:$PORT" ]
}

@test "http: TLS: a certificate for another name or IP is refused (7), nothing sent" {
	serve --tls "$BATS_FILE_TMPDIR/other.crt" "$BATS_FILE_TMPDIR/other.key"
	kubeconfig "https://127.0.0.1:$PORT" "$BATS_FILE_TMPDIR/other.crt"
	run -7 --separate-stderr kc-apply -f "$OBJ"
	[ -z "$output" ]
	[ "$stderr" = "kc-apply: TLS with 'https://127.0.0.1:$PORT/api/v1/namespaces/ns1' failed: the server's certificate does not verify: IP address mismatch" ]
	kubeconfig "https://localhost:$PORT" "$BATS_FILE_TMPDIR/other.crt"
	run -7 --separate-stderr kc-apply -f "$OBJ"
	[ "$stderr" = "kc-apply: TLS with 'https://localhost:$PORT/api/v1/namespaces/ns1' failed: the server's certificate does not verify: hostname mismatch" ]
	kubeconfig "https://127.0.0.1:$PORT" "$BATS_FILE_TMPDIR/ok.crt"
	run -7 --separate-stderr kc-apply -f "$OBJ"
	[[ $stderr == *"the server's certificate does not verify: "*"certificate"* ]]
	[ ! -s "$LOG" ]
}

@test "http: plain HTTP to a TLS server gets no answer (5); TLS to a plain one fails as TLS (7)" {
	serve --tls "$BATS_FILE_TMPDIR/ok.crt" "$BATS_FILE_TMPDIR/ok.key"
	kubeconfig "http://127.0.0.1:$PORT"
	run -5 --separate-stderr kc-apply -f "$OBJ"
	# the TLS server drops the connection, unread bytes and all: a reset, or just the close
	[[ $stderr == "kc-apply: request to 'http://127.0.0.1:$PORT/api/v1/namespaces/ns1' failed: "@(Connection reset by peer|the server closed the connection without answering) ]]
	kill "$(cat "$BATS_TEST_TMPDIR/pid")"
	rm "$BATS_TEST_TMPDIR/port"
	step "$(answer '400 Bad Request' 'not TLS')" true true
	serve
	kubeconfig "https://127.0.0.1:$PORT" "$BATS_FILE_TMPDIR/ok.crt"
	run -7 --separate-stderr kc-apply -f "$OBJ"
	[[ $stderr == "kc-apply: TLS with 'https://127.0.0.1:$PORT/"*"' failed: "*"wrong version number" ]]
}

@test "http: a kubeconfig server that is no http(s)://HOST[:PORT] URL is bad input (3), nothing sent" {
	local u
	for u in "http://127.0.0.1:99999" "https://" "https://user@127.0.0.1:1" "http://[::1"; do
		kubeconfig "$u"
		run -3 --separate-stderr kc-apply -f "$OBJ"
		[ -z "$output" ]
		[[ $stderr == "kc-apply: cannot send a request to '"*"': not an http(s)://HOST[:PORT] URL" ]]
	done
}
