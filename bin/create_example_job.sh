#!/bin/sh
# Usage: create_example_job.sh [JOB_EXAMPLE] [JOB_NAME]
#
# Start the two-party PSI demo KusciaJob (alice and bob) in namespace cross-domain.
#
# JOB_EXAMPLE: PSI (default), PSI_WITH_DP, or NSJAIL_PSI (needs a node deployed with
# ALLOW_PRIVILEGED=true). JOB_NAME defaults to secretflow-task-<YYYYmmddHHMMSS>; it must be a
# lower-case DNS name of at most 63 characters. The initiator is bob when this node's
# domainID (etc/conf/kuscia.yaml) is bob, else alice. Before it can succeed both tables must
# exist and be granted to the other party, and the routes must be Ready both ways.
#
# Environment: KUSCIA_ROOT, KC_DRY_RUN=1 (print the job as JSON, apply nothing),
# KC_APPLY=kubectl.
set -eu
case $0 in */*) kc_here=${0%/*} ;; *) kc_here=. ;; esac
kc_here=$(CDPATH='' cd -- "$kc_here" && pwd -P)
if [ -z "${KC_LIBEXEC:-}" ]; then
	KC_LIBEXEC=$kc_here/../libexec/kc
	[ -d "$KC_LIBEXEC" ] || KC_LIBEXEC=$kc_here/../libexec
fi
# shellcheck source=../libexec/kc-lib.sh
. "$KC_LIBEXEC/kc-lib.sh"

case ${1:-} in
-h | --help) kc_help; exit 0 ;;
esac
example=${1:-PSI}
name=${2:-secretflow-task-$(date +%Y%m%d%H%M%S)}
case $example in
PSI | NSJAIL_PSI) config=task_input_config.2pc_balanced_psi.json ;;
PSI_WITH_DP) config=task_input_config.2pc_balanced_psi_dp.json ;;
*) kc_usage "$KC_EUSAGE" "invalid arguments: JOB_EXAMPLE=$example -- use PSI, PSI_WITH_DP or NSJAIL_PSI" ;;
esac
image=secretflow-image
[ "$example" != NSJAIL_PSI ] || image=secretflow-nsjail-image
# upstream's rule, ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$, at most 63
if ! printf '%s\n' "$name" | grep -Eqx '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*' ||
	[ "$(printf '%s' "$name" | wc -l)" -ne 0 ] || [ ${#name} -gt 63 ]; then
	kc_die "$KC_EINPUT" "invalid JOB_NAME '$name': job name should match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\$ and have at most 63 characters"
fi
# upstream greps the file and falls back to alice when it finds no bob, even without the file
if ! self=$(kc-conf domainID --default '' 2>/dev/null); then
	kc_warn "cannot read domainID from '$KUSCIA_ROOT/etc/conf/kuscia.yaml': alice initiates, as upstream"
	self=''
fi
initiator=alice
[ "$self" != bob ] || initiator=bob
obj=$(kc-render kusciajob_psi.json JOB_NAME="$name" INITIATOR="$initiator" \
	TASK_INPUT_CONFIG@="$KC_DATADIR/$config" APP_IMAGE="$image")
if kc_dry_run; then
	printf '%s\n' "$obj" | kc-apply
	exit 0
fi
# upstream's lines, printed once the job is applied: on failure stdout stays empty
applied=$(printf '%s\n' "$obj" | kc-apply)
printf 'With JOB_EXAMPLE=%s, job via APP_IMAGE=%s creating ...\n%s\n' "$example" "$image" "$applied"
kc_paint green "Job '$name' created successfully. You can use the following command to display job status:"
printf '  kubectl get kj -n cross-domain\n'
