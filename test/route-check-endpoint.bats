#!/usr/bin/env bats
# kc-route-check endpoint: the one parser of peer endpoints (CONTRACTS.md section 4)
# shellcheck disable=SC2154 # stderr_lines is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup() {
	load helper/common
	common_setup
}

# URL -> the JSON it must print
good=(
	'https://2.2.2.2:21080|{"host":"2.2.2.2","port":21080,"pathPrefix":"/","isTLS":true}'
	'https://2.2.2.2|{"host":"2.2.2.2","port":443,"pathPrefix":"/","isTLS":true}'
	'http://2.2.2.2|{"host":"2.2.2.2","port":80,"pathPrefix":"/","isTLS":false}'
	'2.2.2.2|{"host":"2.2.2.2","port":80,"pathPrefix":"/","isTLS":false}'
	'2.2.2.2:8080|{"host":"2.2.2.2","port":8080,"pathPrefix":"/","isTLS":false}'
	'https://2.2.2.2:21080/foo/bar|{"host":"2.2.2.2","port":21080,"pathPrefix":"/foo/bar","isTLS":true}'
	'https://2.2.2.2:21080/|{"host":"2.2.2.2","port":21080,"pathPrefix":"/","isTLS":true}'
	'http://h/a/b?x=1|{"host":"h","port":80,"pathPrefix":"/a/b?x=1","isTLS":false}'
	'http://h:80/a:b|{"host":"h","port":80,"pathPrefix":"/a:b","isTLS":false}'
	'HTTPS://h|{"host":"h","port":443,"pathPrefix":"/","isTLS":true}'
	'Http://h:1|{"host":"h","port":1,"pathPrefix":"/","isTLS":false}'
	'3.3.3.3:1080/foo|{"host":"3.3.3.3","port":1080,"pathPrefix":"/foo","isTLS":false}'
	'https://h:1080/p@th|{"host":"h","port":1080,"pathPrefix":"/p@th","isTLS":true}'
	'http://kuscia-autonomy-bob.autonomy-bob.svc.cluster.local:1080|{"host":"kuscia-autonomy-bob.autonomy-bob.svc.cluster.local","port":1080,"pathPrefix":"/","isTLS":false}'
	'https://h:65535|{"host":"h","port":65535,"pathPrefix":"/","isTLS":true}'
	'http://h:1/a/b/|{"host":"h","port":1,"pathPrefix":"/a/b/","isTLS":false}'
	'h:1//|{"host":"h","port":1,"pathPrefix":"//","isTLS":false}'
	'http://h/x://y|{"host":"h","port":80,"pathPrefix":"/x://y","isTLS":false}'
	'https://h:1/é|{"host":"h","port":1,"pathPrefix":"/é","isTLS":true}'
	'http://H.Example.COM:1|{"host":"H.Example.COM","port":1,"pathPrefix":"/","isTLS":false}'
)

@test "route-check endpoint: -o json splits every accepted form as upstream does" {
	local row url want
	for row in "${good[@]}"; do
		url=${row%%|*} want=${row#*|}
		run -0 --separate-stderr kc-route-check endpoint -o json "$url"
		[ -z "$stderr" ]
		[ "$output" = "$want" ] || { echo "$url: $output != $want"; return 1; }
	done
}

@test "route-check endpoint: text output is one line HOST PORT PATH ISTLS" {
	run -0 --separate-stderr kc-route-check endpoint https://2.2.2.2:21080/foo
	[ "$output" = "2.2.2.2 21080 /foo true" ]
	[ -z "$stderr" ]
	run -0 kc route-check endpoint 2.2.2.2
	[ "$output" = "2.2.2.2 80 / false" ]
}

# URL -> a word the one-line message must hold
bad=(
	'grpc://h:1|scheme'
	'ftp://h|scheme'
	'h:1080:99|port'
	'https://h:|port'
	'https://h:abc|port'
	'https://h:0|port'
	'https://h:65536|port'
	'https://h:-1|port'
	'https://h:+1|port'
	'https://h:99999999999999999999|port'
	'https://:1080|host is empty'
	'|empty'
	'https://|host is empty'
	'https://[::1]:8080|IPv6'
	'https://h:1 #x|space'
	' https://h:1|space'
	'https://h_x:1|not an IPv4 address or host name'
	'https://h.:1|not an IPv4 address or host name'
	'https://-h:1|not an IPv4 address or host name'
	'https://a..b:1|not an IPv4 address or host name'
	'https://h?x=1|not an IPv4 address or host name'
	'https://h:0100|leading zero -- write it as 100'
	'https://h:08080/p|leading zero -- write it as 8080'
	'https://h:0x50|port'
	'https://h:8e1|port'
	'://h|scheme before'
)

@test "route-check endpoint: each malformed endpoint is bad input (3) with a one-line reason" {
	local row url word
	for row in "${bad[@]}"; do
		url=${row%%|*} word=${row#*|}
		run -3 --separate-stderr kc-route-check endpoint -o json "$url"
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr == "kc-route-check: invalid endpoint '"*"$word"* ]] || { echo "$url: $stderr"; return 1; }
	done
}

@test "route-check endpoint: a path that is not UTF-8 is bad input (3), with -o json too" {
	run -3 --separate-stderr kc-route-check endpoint -o json "$(printf 'https://h:1/\377')"
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"the path is not valid UTF-8"* ]]
	run -3 --separate-stderr kc-route-check endpoint "$(printf 'http://h/a\300\200')"
	[ -z "$output" ]
}

@test "route-check endpoint: after --, a URL that looks like an option is a URL" {
	local u
	for u in -h --help -o -k --version --; do
		run -3 --separate-stderr kc-route-check endpoint -- "$u"
		[ -z "$output" ]
		[[ $stderr == "kc-route-check: invalid endpoint '$u': "* ]] || { echo "$u: $stderr"; return 1; }
	done
	run -0 kc-route-check endpoint -o json -- https://2.2.2.2:21080
	[ "$output" = '{"host":"2.2.2.2","port":21080,"pathPrefix":"/","isTLS":true}' ]
}

@test "route-check endpoint: a control character is refused" {
	run -3 --separate-stderr kc-route-check endpoint "$(printf 'https://h:1\tx')"
	[[ $stderr == *"control character"* ]]
	run -3 --separate-stderr kc-route-check endpoint "$(printf 'https://h\n:1')"
	[ -z "$output" ]
}

@test "route-check endpoint: usage errors exit 2 with the Usage line" {
	run -2 --separate-stderr kc-route-check endpoint
	[[ $stderr == *"missing URL"*"Usage: "* ]]
	[ -z "$output" ]
	run -2 --separate-stderr kc-route-check endpoint a b
	[[ $stderr == *"too many operands"* ]]
	run -2 --separate-stderr kc-route-check endpoint -o yaml http://h
	[[ $stderr == *"invalid output format 'yaml'"* ]]
	run -2 --separate-stderr kc-route-check frob
	[[ $stderr == *"unknown subcommand 'frob'"* ]]
	run -2 --separate-stderr kc-route-check
	[[ $stderr == *"missing subcommand"* ]]
	run -2 --separate-stderr kc-route-check --bogus endpoint h
	[ -z "$output" ]
}

@test "route-check endpoint: --help goes to stdout, --version prints one line" {
	run -0 --separate-stderr kc-route-check --help
	[[ ${lines[0]} == "Usage: kc route-check"* ]]
	[ -z "$stderr" ]
	run -0 kc-route-check --version
	[ "$output" = "kc-route-check $(cat "$KC_SRC/VERSION")" ]
}
