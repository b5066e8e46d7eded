#!/usr/bin/env bats
# the man pages, share/kc/man (STYLE.md section 3): one per command, SYNOPSIS = the Usage lines
# of --help, groff reports nothing
bats_require_minimum_version 1.5.0

setup() {
	load helper/common
	common_setup
	MAN=$KC_SRC/share/kc/man
}

# a page as plain text, no line wrapped
render() { # FILE
	groff -mdoc -Tutf8 -P-cbou -rLL=1000n "$1"
}

collapse() { # stdin: all whitespace as single spaces, none at the ends
	tr -s ' \n\t' '   ' | sed 's/^ //; s/ $//'
}

# the SYNOPSIS of page FILE, collapsed
synopsis() { # FILE
	render "$1" | sed -n '/^SYNOPSIS$/,/^[A-Z]/{/^[A-Z]/d;p;}' | collapse
}

# the Usage lines of a --help text on stdin (from 'Usage: ' to the first blank line), collapsed
usage_of() {
	sed -n '/^Usage: /,/^$/p' | sed '1s/^Usage: //' | collapse
}

# what a page's SYNOPSIS must be: the Usage lines of `kc-CMD --help`, then those of each verb
# `kc-CMD --complete` offers whose own --help differs (kc cert VERB)
expected_synopsis() { # CMD
	local u v all seen
	all=$(kc-"$1" --help | usage_of)
	seen=$all
	for v in $(kc-"$1" --complete | grep -v '^-'); do
		u=$(kc-"$1" "$v" --help | usage_of)
		[[ $seen == *"$u"* ]] && continue
		all+=" $u"
		seen+=$'\n'$u
	done
	printf '%s\n' "$all"
}

@test "man: every kc command has a page, and every page a command" {
	local c f
	for c in $(kc commands); do
		case $c in help | commands | version) f=$MAN/kc.1 ;; *) f=$MAN/kc-$c.1 ;; esac
		[ -f "$f" ] || { echo "no page for kc $c: $f"; return 1; }
	done
	for f in "$MAN"/kc-*.1; do
		c=${f##*/kc-}
		[ -x "$KC_SRC/libexec/kc-${c%.1}" ] || { echo "page without a command: $f"; return 1; }
	done
	[ -f "$MAN/kc-dropins.7" ]
}

@test "man: each command page's SYNOPSIS is its --help Usage lines" {
	local f c want got
	for f in "$MAN"/kc-*.1; do
		c=${f##*/kc-}
		c=${c%.1}
		want=$(expected_synopsis "$c")
		got=$(synopsis "$f")
		[ "$got" = "$want" ] || { printf 'kc-%s.1 SYNOPSIS:\n  %s\n--help Usage:\n  %s\n' \
			"$c" "$got" "$want"; return 1; }
	done
}

@test "man: kc.1's SYNOPSIS is the Usage lines of kc, kc help, kc commands and kc version" {
	local want c
	want=$(kc --help | usage_of)
	for c in help commands version; do
		want+=" $(kc "$c" --help | usage_of)"
	done
	[ "$(synopsis "$MAN/kc.1")" = "$want" ]
}

@test "man: kc.1 names every command and every drop-in; kc-dropins.7 shows each drop-in's Usage" {
	local page dropins c f u
	page=$(render "$MAN/kc.1" | collapse)
	dropins=$(render "$MAN/kc-dropins.7" | collapse)
	for c in $(kc commands); do
		[[ $page == *" $c "* ]] || { echo "kc.1 does not name $c"; return 1; }
	done
	for f in "$KC_SRC"/bin/*.sh; do
		[[ $page == *"${f##*/}"* ]] || { echo "kc.1 does not name ${f##*/}"; return 1; }
		u=$("$f" --help | usage_of)
		[[ $dropins == *"$u"* ]] || { echo "kc-dropins.7 lacks: $u"; return 1; }
	done
}

@test "man: groff -ww reports nothing for any page" {
	local f
	for f in "$MAN"/*.[17]; do
		run -0 --separate-stderr groff -mdoc -Tutf8 -ww -z "$f"
		[ -z "$stderr$output" ] || { echo "$f: $stderr"; return 1; }
	done
}

@test "man: each page names itself in NAME and .Dt, and every cross-reference has a page" {
	local f n x name
	for f in "$MAN"/*.[17]; do
		n=${f##*/}
		name=${n%.*}
		grep -qx ".Dt ${name^^} ${n##*.}" "$f" || { echo "$f: .Dt"; return 1; }
		grep -qx ".Nm ${n%.*}" "$f" || { echo "$f: .Nm in NAME"; return 1; }
		while read -r x; do
			[ -f "$MAN/$x" ] || { echo "$f: no page $x"; return 1; }
		done < <(sed -n 's/^\.Xr \(kc[a-z-]*\) \([0-9]\).*/\1.\2/p' "$f")
		grep -q '^\.Sh SEE ALSO$' "$f" || { echo "$f: no SEE ALSO"; return 1; }
	done
	for f in "$MAN"/*.1; do
		grep -q '^\.Sh ENVIRONMENT$' "$f" && grep -q '^\.Sh EXIT STATUS$' "$f" ||
			{ echo "$f: no ENVIRONMENT or EXIT STATUS"; return 1; }
	done
}
