#!/usr/bin/env bats
# kc-conf: the one reader of $KUSCIA_ROOT/etc/conf/kuscia.yaml (CONTRACTS.md section 2)
# shellcheck disable=SC2154 # stderr, stderr_lines are set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup() {
	load helper/common
	common_setup
	FIX=$KC_SRC/test/fixtures/conf
}

# node_conf FIXTURE: make FIXTURE the node's kuscia.yaml
node_conf() {
	cp "$FIX/$1" "$KUSCIA_ROOT/etc/conf/kuscia.yaml"
}

@test "conf: prints a top-level key of \$KUSCIA_ROOT/etc/conf/kuscia.yaml" {
	node_conf kuscia.yaml
	run -0 --separate-stderr kc-conf domainID
	[ "$output" = alice ]
	[ -z "$stderr" ]
	run -0 kc-conf mode
	[ "$output" = autonomy ]
	run -0 kc-conf protocol
	[ "$output" = NOTLS ]
}

@test "conf: the value is one line ending with a newline" {
	node_conf kuscia.yaml
	kc-conf domainID >out
	[ "$(od -An -c out | tr -d ' \n')" = 'alice\n' ]
}

@test "conf: a dotted KEY reads nested mappings" {
	node_conf kuscia.yaml
	run -0 --separate-stderr kc-conf kusciaAPI.HTTPPort
	[ "$output" = 18082 ]
	run -0 kc-conf kusciaAPI.GRPCPort
	[ "$output" = 18083 ]
	run -0 kc-conf capacity.cpu
	[ "$output" = 4 ]
	run -0 kc-conf -f "$FIX/nested.yaml" deep.a.b.c
	[ "$output" = found ]
}

@test "conf: comments are ignored, unlike upstream's grep" {
	node_conf commented.yaml
	run -0 --separate-stderr kc-conf domainID
	[ "$output" = bob ]
	run -0 kc-conf mode
	[ "$output" = autonomy ]
	run -1 --separate-stderr kc-conf protocol
	[ -z "$output" ]
}

@test "conf: quoted scalars are unquoted" {
	node_conf quoted.yaml
	run -0 --separate-stderr kc-conf domainID
	[ "$output" = bob ]
	run -0 kc-conf mode
	[ "$output" = autonomy ]
	run -0 kc-conf spaced
	[ "$output" = "  two words  " ]
	run -0 kc-conf escaped
	[ "$output" = $'tab\there "q" ü' ]
	run -0 kc-conf single
	[ "$output" = "it's" ]
	run -0 kc-conf 'quoted key'
	[ "$output" = yes ]
}

@test "conf: plain scalars are trimmed and printed as written" {
	node_conf quoted.yaml
	run -0 --separate-stderr kc-conf protocol
	[ "$output" = TLS ]
	run -0 kc-conf port
	[ "$output" = 8082 ]
	run -0 kc-conf flag
	[ "$output" = true ]
	run -0 kc-conf quotednull
	[ "$output" = null ]
}

@test "conf: a quoted empty string is set and empty" {
	node_conf quoted.yaml
	run -0 --separate-stderr kc-conf empty --default x
	[ "$output" = "" ]
	[ -z "$stderr" ]
}

@test "conf: a block scalar is printed with its lines" {
	node_conf quoted.yaml
	run -0 --separate-stderr kc-conf block
	[ "$output" = $'line one\nline two' ]
}

@test "conf: a missing key exits 1 naming the key and the file" {
	node_conf kuscia.yaml
	run -1 --separate-stderr kc-conf nosuchkey
	[ -z "$output" ]
	[ "$stderr" = "kc-conf: 'nosuchkey' is not set in '$KUSCIA_ROOT/etc/conf/kuscia.yaml'" ]
	run -1 --separate-stderr kc-conf kusciaAPI.nope
	[ "$stderr" = "kc-conf: 'kusciaAPI.nope' is not set in '$KUSCIA_ROOT/etc/conf/kuscia.yaml'" ]
	# below a value there is nothing
	run -1 --separate-stderr kc-conf mode.x
	[ -z "$output" ]
	# keys are case-sensitive
	run -1 kc-conf domainid
}

@test "conf: a null or empty value is not set" {
	node_conf quoted.yaml
	local k
	for k in nothing tilde nulled; do
		run -1 --separate-stderr kc-conf "$k"
		[ -z "$output" ]
		[ "$stderr" = "kc-conf: '$k' is not set in '$KUSCIA_ROOT/etc/conf/kuscia.yaml'" ]
	done
	node_conf kuscia.yaml
	run -1 kc-conf image.pullPolicy
}

@test "conf: --default is printed when the key is not set" {
	node_conf kuscia.yaml
	run -0 --separate-stderr kc-conf kusciaAPI.HTTPInternalPorts --default 8092
	[ "$output" = 8092 ]
	[ -z "$stderr" ]
	run -0 kc-conf --default=MTLS nope
	[ "$output" = MTLS ]
	run -0 kc-conf --default '' nope
	[ "$output" = "" ]
	node_conf quoted.yaml
	run -0 kc-conf nothing --default x
	[ "$output" = x ]
}

@test "conf: --default is not used when the key is set" {
	node_conf kuscia.yaml
	run -0 --separate-stderr kc-conf domainID --default bob
	[ "$output" = alice ]
}

@test "conf: a mapping or a list at KEY is bad input (3)" {
	node_conf kuscia.yaml
	run -3 --separate-stderr kc-conf kusciaAPI
	[ -z "$output" ]
	[ "$stderr" = "kc-conf: 'kusciaAPI' in '$KUSCIA_ROOT/etc/conf/kuscia.yaml' is a mapping, not a value" ]
	run -3 --separate-stderr kc-conf kusciaAPI --default 1
	[ -z "$output" ]
	run -3 --separate-stderr kc-conf -f "$FIX/nested.yaml" list
	[ -z "$output" ]
	[ "$stderr" = "kc-conf: 'list' in '$FIX/nested.yaml' is a list, not a value" ]
}

@test "conf: a missing file is a system error (4)" {
	run -4 --separate-stderr kc-conf domainID
	[ -z "$output" ]
	[ "$stderr" = "kc-conf: cannot read '$KUSCIA_ROOT/etc/conf/kuscia.yaml': No such file or directory -- set KUSCIA_ROOT to the node's Kuscia home" ]
	run -4 --separate-stderr kc-conf domainID --default x
	[ -z "$output" ]
	run -4 --separate-stderr kc-conf -f "$BATS_TEST_TMPDIR" domainID
	[ "$stderr" = "kc-conf: cannot read '$BATS_TEST_TMPDIR': Is a directory" ]
}

@test "conf: a file that is not YAML is bad input (3) with libyaml's problem and line" {
	run -3 --separate-stderr kc-conf -f "$FIX/bad.yaml" domainID
	[ -z "$output" ]
	[ "$stderr" = "kc-conf: '$FIX/bad.yaml' is not valid YAML: did not find expected ',' or ']' at line 3 column 9" ]
	printf 'a: b\n\tc: d\n' >tabs.yaml
	run -3 --separate-stderr kc-conf -f tabs.yaml a
	[[ $stderr == "kc-conf: 'tabs.yaml' is not valid YAML: "*" at line 2 column "* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	printf 'a: \377\376\n' >bin.yaml
	run -3 --separate-stderr kc-conf -f bin.yaml a
	[[ $stderr == "kc-conf: 'bin.yaml' is not valid YAML: "*" at byte "* ]]
}

@test "conf: a file whose top is not a mapping is bad input (3)" {
	local f
	for f in scalar.yaml list.yaml; do
		run -3 --separate-stderr kc-conf -f "$FIX/$f" domainID
		[ -z "$output" ]
		[ "$stderr" = "kc-conf: '$FIX/$f' is not a YAML mapping" ]
	done
}

@test "conf: an empty file or a comment-only file sets nothing" {
	: >empty.yaml
	run -1 --separate-stderr kc-conf -f empty.yaml domainID
	[ "$stderr" = "kc-conf: 'domainID' is not set in 'empty.yaml'" ]
	printf '# domainID: bob\n' >c.yaml
	run -0 kc-conf -f c.yaml domainID --default alice
	[ "$output" = alice ]
}

@test "conf: a key given twice on the way is bad input (3)" {
	run -3 --separate-stderr kc-conf -f "$FIX/dup.yaml" domainID
	[ -z "$output" ]
	[ "$stderr" = "kc-conf: '$FIX/dup.yaml': key 'domainID' appears twice in a mapping" ]
	run -0 kc-conf -f "$FIX/dup.yaml" mode
	[ "$output" = autonomy ]
}

@test "conf: anchors, aliases and merge keys are resolved" {
	run -0 --separate-stderr kc-conf -f "$FIX/nested.yaml" kusciaAPI.HTTPPort
	[ "$output" = 8082 ]
	# an explicit key wins over a merged one
	run -0 kc-conf -f "$FIX/nested.yaml" kusciaAPI.GRPCPort
	[ "$output" = 9083 ]
	run -0 kc-conf -f "$FIX/nested.yaml" kusciaAPI.timeouts.read
	[ "$output" = 20 ]
	run -0 kc-conf -f "$FIX/nested.yaml" domainRoute.alias.GRPCPort
	[ "$output" = 8083 ]
	run -0 kc-conf -f "$FIX/nested.yaml" multimerge.extra
	[ "$output" = 1 ]
	run -0 kc-conf -f "$FIX/nested.yaml" multimerge.HTTPPort
	[ "$output" = 8082 ]
	run -1 kc-conf -f "$FIX/nested.yaml" multimerge.nope
}

@test "conf: an undefined alias is bad input (3)" {
	run -3 --separate-stderr kc-conf -f "$FIX/undefined-alias.yaml" a
	[ -z "$output" ]
	[ "$stderr" = "kc-conf: '$FIX/undefined-alias.yaml' is not valid YAML: found undefined alias at line 1 column 4" ]
}

@test "conf: a self-referencing or exploding merge is refused (3)" {
	printf 'a: &a\n  <<: *a\n  x: 1\n' >self.yaml
	run -3 --separate-stderr kc-conf -f self.yaml a.y
	[ -z "$output" ]
	[ "$stderr" = "kc-conf: 'self.yaml': merge keys ('<<') nested too deep" ]
	run -0 kc-conf -f self.yaml a.x
	[ "$output" = 1 ]
	{
		printf 'l0: &l0 {x: 1}\n'
		local i
		for i in $(seq 1 12); do
			printf 'l%d: &l%d {<<: [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]}\n' \
				"$i" "$i" $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) \
				$((i - 1)) $((i - 1))
		done
	} >boom.yaml
	run -3 --separate-stderr kc-conf -f boom.yaml l12.y
	[ "$stderr" = "kc-conf: 'boom.yaml': merge keys ('<<') nested too deep" ]
}

@test "conf: only the first YAML document is read" {
	printf 'domainID: alice\n---\ndomainID: bob\n' >two.yaml
	run -0 --separate-stderr kc-conf -f two.yaml domainID
	[ "$output" = alice ]
}

@test "conf: domainKeyData is printed only when asked for by name" {
	node_conf kuscia.yaml
	run -0 --separate-stderr kc-conf domainKeyData
	[ "$output" = TEST-KEY-DATA-bm90IGEgcmVhbCBrZXk= ]
	local k
	for k in domainKeyData.x nope kusciaAPI runk.namespace.x; do
		run --separate-stderr kc-conf "$k"
		[[ $output$stderr != *TEST-KEY-DATA* ]]
	done
}

@test "conf: the key's value never shows in an error message" {
	printf 'domainKeyData: SECRET\ndomainKeyData: SECRET2\n' >dup.yaml
	run -3 --separate-stderr kc-conf -f dup.yaml domainKeyData
	[[ $stderr != *SECRET* ]]
	printf 'domainKeyData: SECRET\nx: [\n' >bad.yaml
	run -3 --separate-stderr kc-conf -f bad.yaml domainKeyData
	[[ $stderr != *SECRET* ]]
	printf 'domainKeyData:\n  k: SECRET\n' >map.yaml
	run -3 --separate-stderr kc-conf -f map.yaml domainKeyData
	[[ $stderr != *SECRET* ]]
}

@test "conf: -f and --file read another file" {
	run -0 --separate-stderr kc-conf -f "$FIX/commented.yaml" domainID
	[ "$output" = bob ]
	run -0 kc-conf --file "$FIX/quoted.yaml" domainID
	[ "$output" = bob ]
	run -0 kc-conf --file="$FIX/kuscia.yaml" domainID
	[ "$output" = alice ]
	kc-conf -f - mode <"$FIX/kuscia.yaml" >out
	[ "$(cat out)" = autonomy ]
}

@test "conf: KUSCIA_ROOT decides which kuscia.yaml is read" {
	mkdir -p other/etc/conf
	printf 'domainID: carol\n' >other/etc/conf/kuscia.yaml
	KUSCIA_ROOT=$BATS_TEST_TMPDIR/other run -0 --separate-stderr kc-conf domainID
	[ "$output" = carol ]
}

@test "conf: --help prints the usage on stdout" {
	run -0 --separate-stderr kc-conf --help
	[ "${lines[0]}" = "Usage: kc conf KEY [--default VALUE] [-f FILE]" ]
	[ "${lines[1]}" = "Print one value of the node's kuscia.yaml." ]
	[ -z "$stderr" ]
	run -0 kc-conf -h
	[ "${lines[0]}" = "Usage: kc conf KEY [--default VALUE] [-f FILE]" ]
}

@test "conf: --version prints one line" {
	run -0 --separate-stderr kc-conf --version
	[ "$output" = "kc-conf $(cat "$KC_SRC/VERSION")" ]
}

@test "conf: a missing or extra KEY is a usage error (2)" {
	run -2 --separate-stderr kc-conf
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-conf: missing KEY" ]
	[ "${stderr_lines[1]}" = "Usage: kc conf KEY [--default VALUE] [-f FILE]" ]
	run -2 --separate-stderr kc-conf a b
	[ "${stderr_lines[0]}" = "kc-conf: too many operands" ]
}

@test "conf: a malformed KEY is a usage error (2)" {
	local k
	for k in '' . .a a. a..b; do
		run -2 --separate-stderr kc-conf "$k"
		[ -z "$output" ]
		[ "${stderr_lines[0]}" = "kc-conf: bad KEY '$k': use a dotted path such as kusciaAPI.HTTPPort" ]
	done
}

@test "conf: unknown, repeated or incomplete options are usage errors (2)" {
	node_conf kuscia.yaml
	run -2 --separate-stderr kc-conf --frob domainID
	[ -z "$output" ]
	[[ $stderr == *"Usage: kc conf "* ]]
	run -2 --separate-stderr kc-conf -f a -f b domainID
	[ "${stderr_lines[0]}" = "kc-conf: -f is given twice" ]
	run -2 --separate-stderr kc-conf --default a --default b domainID
	[ "${stderr_lines[0]}" = "kc-conf: --default is given twice" ]
	run -2 --separate-stderr kc-conf domainID --default
	run -2 --separate-stderr kc-conf domainID -f
	run -2 --separate-stderr kc-conf -f '' domainID
	[ "${stderr_lines[0]}" = "kc-conf: -f needs a file name" ]
}

@test "conf: kc conf runs it through the dispatcher" {
	node_conf kuscia.yaml
	run -0 --separate-stderr kc conf kusciaAPI.HTTPPort
	[ "$output" = 18082 ]
}
