# kc-lib.sh - shared shell functions of kc's commands and drop-ins; sourced, never executed.
# The caller has set KC_LIBEXEC and kc_here (the folder of the script itself) first.
# shellcheck shell=sh

# exit codes: STYLE.md section 4, the same numbers as enum kc_exit in helpers/lib/kc.h
# shellcheck disable=SC2034 # used by the scripts that source this file
{
	KC_OK=0 KC_EFAIL=1 KC_EUSAGE=2 KC_EINPUT=3 KC_ESYS=4 KC_ENET=5 KC_EAPI=6 KC_ETLS=7
	KC_EPEER=8 KC_ETIMEOUT=124
}
kc_prog=${0##*/}
# a drop-in's or a shell subcommand's helpers speak under its name (helpers/lib/err.c reads
# KC_PROG); the dispatcher kc leaves each command its own
case $kc_prog in
kc) unset KC_PROG ;;
*) KC_PROG=$kc_prog && export KC_PROG ;;
esac

[ -z "${KC_DEBUG:-}" ] || set -x

kc_line() { # TEXT...: TEXT on one line on stderr, control characters (a newline in a value) as '?'
	printf '%s' "$*" | tr '[:cntrl:]' '[?*]' >&2
	printf '\n' >&2
}

kc_die() { # CODE MESSAGE...
	_kc_code=$1
	shift
	kc_line "$kc_prog: $*"
	exit "$_kc_code"
}

kc_warn() { # MESSAGE...
	kc_line "$kc_prog: warning: $*"
}

kc_help() { # print the script's header comment (its help)
	sed -n '1d; /^#/!q; s/^# \{0,1\}//p' "$0"
}

kc_usage() { # CODE [MESSAGE...]: one line on stderr (the message, else the Usage line), exit CODE
	_kc_code=$1
	shift
	if [ $# -gt 0 ]; then
		kc_line "$kc_prog: $*"
	else
		kc_help | sed -n '/^Usage:/{p;q;}' >&2
	fi
	exit "$_kc_code"
}

kc_complete() { # VERBS OPTIONS [WORDS...]: --complete, the words that may follow WORDS, one a
	# line (share/kc/completions/kc.bash): VERBS while no operand is typed, then the long
	# OPTIONS; OPTIONS that take a value end in '=', and after one only its values (-o: text
	# json). The shell side of helpers/lib/complete.c.
	_kc_verbs=$1 _kc_opts=$2 _kc_operand='' _kc_pending=''
	shift 2
	for _kc_w in "$@"; do
		if [ -n "$_kc_pending" ]; then
			_kc_pending=''
			continue
		fi
		case $_kc_w in
		-?*=*) ;;
		-?*) case " $_kc_opts " in *" $_kc_w= "*) _kc_pending=$_kc_w ;; esac ;;
		*) _kc_operand=1 ;;
		esac
	done
	if [ -n "$_kc_pending" ]; then
		case $_kc_pending in -o | --output) printf '%s\n' text json ;; esac
		return 0
	fi
	if [ -z "$_kc_operand" ]; then
		for _kc_w in $_kc_verbs; do printf '%s\n' "$_kc_w"; done
	fi
	for _kc_w in $_kc_opts; do
		case $_kc_w in --*) printf '%s\n' "${_kc_w%=}" ;; esac
	done
}

kc_check_id() { # WHAT ID: die (3) unless ID is a valid domain ID (CONTRACTS.md section 3)
	_kc_why=
	case $2 in
	'') _kc_why='it is empty' ;;
	*[!a-z0-9-]*) _kc_why="use only lower-case letters, digits and '-'" ;;
	-* | *-) _kc_why="it must start and end with a lower-case letter or digit" ;;
	default | kube-system | kube-public | kube-node-lease | master | cross-domain)
		_kc_why='it is reserved by Kuscia' ;;
	esac
	[ -n "$_kc_why" ] || [ ${#2} -le 63 ] || _kc_why='it is longer than 63 characters'
	[ -z "$_kc_why" ] || kc_die "$KC_EINPUT" "invalid $1 '$2': $_kc_why"
}

kc_dry_run() { # true when KC_DRY_RUN is set and not 0
	[ -n "${KC_DRY_RUN:-}" ] && [ "$KC_DRY_RUN" != 0 ]
}

kc_apply_from() { # FUNCTION [ARG...]: apply the objects FUNCTION prints, then exit
	# kc-apply loads the kubeconfig and makes its TLS connection while FUNCTION (kc-cert,
	# kc-render) still runs. FUNCTION failing (its status caught however it ends) is the exit
	# status, and kc-apply, given nothing, applies and says nothing; else kc-apply's status
	# (also when FUNCTION died of SIGPIPE, 141: kc-apply refused its command line and left).
	exec 3>&1
	if _kc_st=$( { { trap 'echo "$?" >&4' EXIT; "$@"; } | kc-apply --allow-empty >&3 4>&-; } 4>&1 )
	then
		_kc_rc=0
	else
		_kc_rc=$?
	fi
	case $_kc_st in
	0) ;;
	141) [ "$_kc_rc" -ne 0 ] || exit 141 ;;
	'') # no status: FUNCTION's shell was killed before its trap ran; kc-apply had nothing
		[ "$_kc_rc" -ne 0 ] || kc_die "$KC_ESYS" "the check before the apply was killed -- nothing was applied; run it again" ;;
	*) exit "$_kc_st" ;;
	esac
	exit "$_kc_rc"
}

kc_color() { # FD: true when colour may be written to file descriptor FD
	[ -t "$1" ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]
}

kc_paint() { # COLOR TEXT: TEXT on stdout, in COLOR (green, red) only on a terminal
	if kc_color 1; then
		case $1 in
		green) printf '\033[0;32m%s\033[0m\n' "$2" ;;
		red) printf '\033[0;31m%s\033[0m\n' "$2" ;;
		*) printf '%s\n' "$2" ;;
		esac
	else
		printf '%s\n' "$2"
	fi
}

# helpers first on PATH, data folder, KUSCIA_ROOT (CONTRACTS.md section 1)
export KC_LIBEXEC
PATH=$KC_LIBEXEC:$PATH
if [ -z "${KC_DATADIR:-}" ]; then
	if [ -d "$KC_LIBEXEC/../share/kc" ]; then
		KC_DATADIR=$KC_LIBEXEC/../share/kc # source tree
	else
		KC_DATADIR=$KC_LIBEXEC/../../share/kc # installed
	fi
fi
export KC_DATADIR
if [ -z "${KUSCIA_ROOT:-}" ]; then
	case ${kc_here:-} in
	*/scripts/deploy | */scripts/user) KUSCIA_ROOT=${kc_here%/scripts/*} ;;
	*) KUSCIA_ROOT=/home/kuscia ;;
	esac
fi
export KUSCIA_ROOT
