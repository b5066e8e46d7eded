#!/usr/bin/env bats
# share/kc/completions/kc.bash and every command's --complete (STYLE.md section 3)
bats_require_minimum_version 1.5.0

setup() {
	load helper/common
	common_setup
}

# what bash offers for the command line WORDS... (the last one being completed), one a line
complete_words() { # WORDS...
	bash -c '. "$1" && shift && COMP_WORDS=("$@") && COMP_CWORD=$(($# - 1)) && _kc &&
		printf "%s\n" "${COMPREPLY[@]}"' _ "$KC_SRC/share/kc/completions/kc.bash" "$@"
}

@test "completion: 'kc ' lists the commands" {
	run -0 complete_words kc ''
	[ "$output" = "$(kc commands)" ]
	run -0 complete_words kc ro
	[ "$output" = route-check ]
}

@test "completion: 'kc cert ' lists cert's verbs, and nothing after a verb but files" {
	run -0 complete_words kc cert ''
	[ "$output" = "$(printf '%s\n' inspect verify b64 import export gen keygen client)" ]
	run -0 complete_words kc cert i
	[ "$output" = "$(printf '%s\n' inspect import)" ]
	run -0 complete_words kc cert inspect ''
	[ -z "$output" ]
	run -0 complete_words kc cert verify --al
	[ "$output" = --allow-expired ]
}

@test "completion: 'kc apply --' lists its long options, those of its --help" {
	run -0 complete_words kc apply --
	[ "$(sort <<<"$output")" = "$(kc apply --help | grep -oE -- '--[a-z][a-z-]*' | sort -u)" ]
	[[ $output == *--kubeconfig* && $output == *--ignore-not-found* ]]
}

@test "completion: an option's value: -o offers text and json, others nothing" {
	run -0 complete_words kc apply -o ''
	[ "$output" = "$(printf '%s\n' text json)" ]
	run -0 complete_words kc route-check list --output j
	[ "$output" = json ]
	run -0 complete_words kc apply --kubeconfig ''
	[ -z "$output" ]
	run -0 complete_words kc peer list -o ''
	[ "$output" = "$(printf '%s\n' text json)" ]
	run -0 complete_words kc doctor -o ''
	[ "$output" = "$(printf '%s\n' text json)" ]
}

@test "completion: verbs of token, grant, route-check, peer; none once an operand is typed" {
	run -0 complete_words kc token ''
	[ "$output" = "$(printf '%s\n' kusciaapi lite sa)" ]
	run -0 complete_words kc grant ''
	[ "$output" = "$(printf '%s\n' create query list delete)" ]
	run -0 complete_words kc route-check ''
	[ "$output" = "$(printf '%s\n' status probe endpoint list)" ]
	run -0 complete_words kc peer ''
	[ "$output" = "$(printf '%s\n' add list rm)" ]
	run -0 complete_words kc route-check alice-bob ''
	[ -z "$output" ]
	run -0 complete_words kc grant create --data alice-table ''
	[ -z "$output" ]
	run -0 complete_words kc help ''
	[ "$output" = "$(kc commands)" ]
	run -0 complete_words kc frobnicate ''
	[ -z "$output" ]
}

@test "completion: every command's --complete exits 0 with words, and takes every verb it offers" {
	local c v
	for c in $(kc commands); do
		run -0 --separate-stderr kc "$c" --complete
		[ -z "$stderr" ] || { echo "kc $c --complete: $stderr"; return 1; }
		[[ $output != *' '* && $output != *$'\n\n'* ]] || { echo "kc $c: $output"; return 1; }
		# every option --help shows is offered
		for v in $(kc "$c" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
			grep -qx -- "$v" <<<"$output" || { echo "kc $c --complete lacks $v"; return 1; }
		done
		[ "$c" = help ] && continue
		while read -r v; do
			run -0 kc "$c" "$v" --help
		done < <(grep -v '^-' <<<"$output")
	done
	# also run directly, as libexec/kc-CMD
	run -0 kc-cert --complete
	[[ ${lines[0]} == inspect ]]
}
