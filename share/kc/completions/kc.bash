# bash completion for kc (STYLE.md section 3, after rbenv's completions/rbenv.bash): the first
# word from `kc commands`, the rest from `kc CMD --complete WORDS...`, which prints the words
# that may follow WORDS (subcommand verbs, long options, an option's values). A word that does
# not start with '-' is offered no options; where nothing fits, bash completes file names.
# Installed as $(PREFIX)/share/bash-completion/completions/kc.

_kc() {
	local word=${COMP_WORDS[COMP_CWORD]} words w
	local IFS=$'\n'
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		words=$(command kc commands 2>/dev/null)
	else
		words=$(command kc "${COMP_WORDS[1]}" --complete "${COMP_WORDS[@]:2:COMP_CWORD-2}" \
			2>/dev/null </dev/null)
		if [[ $word != -* ]]; then
			local keep=
			for w in $words; do
				[[ $w == -* ]] || keep+=$w$'\n'
			done
			words=$keep
		fi
	fi
	# shellcheck disable=SC2207 # one word a line: IFS is a newline here
	COMPREPLY=($(compgen -W "$words" -- "$word"))
	return 0
}
complete -o default -F _kc kc
