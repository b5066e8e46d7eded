#!/usr/bin/env bats
# the dispatcher, help, version, and installation
bats_require_minimum_version 1.5.0

setup() {
	load helper/common
	common_setup
}

@test "kc: --version prints one line with the number in VERSION" {
	run -0 --separate-stderr kc --version
	[ "$output" = "kc $(cat "$KC_SRC/VERSION")" ]
	[ -z "$stderr" ]
	run -0 kc version
	[ "$output" = "kc $(cat "$KC_SRC/VERSION")" ]
}

@test "kc: no command shows the list of commands" {
	run -0 --separate-stderr kc
	[[ $output == "Usage: kc COMMAND"* ]]
	[[ $output == *"  cert "* ]]
	[[ $output == *"  help "* ]]
}

@test "kc: help lists every command with its summary line" {
	run -0 kc help
	local c
	while read -r c; do
		[[ $output == *"  $c "* ]]
	done < <(kc commands)
	[[ $output == *"version"*"Print kc's version."* ]]
}

@test "kc: help COMMAND shows that command's usage" {
	run -0 kc help version
	[[ ${lines[0]} == "Usage: kc version" ]]
}

@test "kc: an unknown command is a usage error (2)" {
	run -2 --separate-stderr kc frobnicate
	[ -z "$output" ]
	[ "$stderr" = "kc: no such command 'frobnicate' -- run 'kc help' for the list" ]
}

@test "kc: a command name with odd characters is a usage error (2)" {
	run -2 --separate-stderr kc '../kc-cert'
	[ -z "$output" ]
	[[ $stderr == "kc: invalid command name: '../kc-cert'"* ]]
	run -2 --separate-stderr kc help 'a b'
	[[ $stderr == "kc-help: invalid command name"* ]]
}

@test "kc: commands lists executables only, not the shell library" {
	run -0 kc commands
	[[ $output != *"lib.sh"* ]]
	[[ $output == *"help"* ]]
}

@test "kc: make install puts a working kc under PREFIX, found from anywhere" {
	local prefix="$BATS_TEST_TMPDIR/usr"
	# -o all: install what is built, never rebuild (a SAN build must not be replaced mid-run)
	run -0 make -s -C "$KC_SRC" -o all install PREFIX="$prefix"
	[ -x "$prefix/bin/kc" ]
	[ -f "$prefix/libexec/kc/kc-lib.sh" ]
	[ ! -x "$prefix/libexec/kc/kc-lib.sh" ]
	cd /
	run -0 env -u KC_LIBEXEC PATH=/usr/bin:/bin "$prefix/bin/kc" version
	[ "$output" = "kc $(cat "$KC_SRC/VERSION")" ]
	run -0 env -u KC_LIBEXEC PATH=/usr/bin:/bin "$prefix/bin/kc" help
	[[ $output == *"  cert "* ]]
}

@test "kc: make install puts the man pages and the bash completion under DESTDIR; uninstall removes all" {
	local dest="$BATS_TEST_TMPDIR/dest" prefix=/opt/kc f
	run -0 make -s -C "$KC_SRC" -o all install DESTDIR="$dest" PREFIX="$prefix"
	for f in "$KC_SRC"/share/kc/man/*.1; do
		[ -f "$dest$prefix/share/man/man1/${f##*/}" ]
	done
	[ -f "$dest$prefix/share/man/man1/kc.1" ]
	[ -f "$dest$prefix/share/man/man7/kc-dropins.7" ]
	[ -f "$dest$prefix/share/bash-completion/completions/kc" ]
	[ -f "$dest$prefix/share/kc/completions/kc.bash" ]
	# man finds the installed page
	run -0 env MANPATH="$dest$prefix/share/man" MANPAGER=cat MANWIDTH=80 man -P cat kc-peer
	[[ $output == *"kc peer add PEER ENDPOINT"* ]]
	# MANDIR moves the pages alone
	run -0 make -s -C "$KC_SRC" -o all install DESTDIR="$dest" PREFIX="$prefix" MANDIR=/man
	[ -f "$dest/man/man1/kc-cert.1" ]
	run -0 make -s -C "$KC_SRC" -o all uninstall DESTDIR="$dest" PREFIX="$prefix" MANDIR=/man
	[ ! -e "$dest/man/man1/kc-cert.1" ]
	run -0 make -s -C "$KC_SRC" -o all uninstall DESTDIR="$dest" PREFIX="$prefix"
	run -0 find "$dest" -type f
	[ -z "$output" ]
}

@test "kc: make install-kuscia puts the drop-ins at upstream's paths and keeps originals" {
	local root="$BATS_TEST_TMPDIR/kuscia"
	mkdir -p "$root/scripts/deploy"
	printf '#!/bin/bash\necho upstream\n' >"$root/scripts/deploy/generate_rsa_key.sh"
	run -0 make -s -C "$KC_SRC" -o all install-kuscia KUSCIA_ROOT="$root"
	[ -f "$root/scripts/deploy/generate_rsa_key.sh.orig" ]
	grep -q upstream "$root/scripts/deploy/generate_rsa_key.sh.orig"
	grep -q KC_LIBEXEC "$root/scripts/deploy/generate_rsa_key.sh"
	[ -x "$root/scripts/libexec/kc/kc-cert" ]
	# a second install keeps the first original
	run -0 make -s -C "$KC_SRC" -o all install-kuscia KUSCIA_ROOT="$root"
	grep -q upstream "$root/scripts/deploy/generate_rsa_key.sh.orig"
}
