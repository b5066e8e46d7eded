# rawhttp.bash - the scripted HTTP server (test/helper/rawhttpd.py) from bats: `load
# helper/rawhttp`; the test's setup sets PLAN (a JSON list of steps, '[]') and LOG (one JSON
# line per request received); rawhttp_stop in teardown.
# shellcheck shell=bash

# an answer with its Content-Length: STATUS BODY [HEADER-LINES (printf %b)]
answer() {
	printf 'HTTP/1.1 %s\r\nContent-Type: application/json\r\n%bContent-Length: %d\r\n\r\n%s' \
		"$1" "${3:-}" "${#2}" "$2"
}

step() { # TEXT [close [now]]: append a step answering TEXT to the plan
	jq --arg a "$1" --argjson c "${2:-false}" --argjson n "${3:-false}" \
		'. + [{answer: $a, close: $c, now: $n}]' "$PLAN" >"$PLAN.new"
	mv "$PLAN.new" "$PLAN"
}

drop() { jq '. + [{drop: true}]' "$PLAN" >"$PLAN.new" && mv "$PLAN.new" "$PLAN"; }

serve() { # [--tls CERT KEY]: start the scripted server, PORT set
	"$KC_PYTHON" "$KC_SRC/test/helper/rawhttpd.py" "$PLAN" "$BATS_TEST_TMPDIR/port" "$LOG" "$@" \
		</dev/null >/dev/null 2>&1 &
	echo $! >"$BATS_TEST_TMPDIR/pid"
	poll_until 10 test -s "$BATS_TEST_TMPDIR/port"
	# shellcheck disable=SC2034 # PORT is for the test that loads this
	PORT=$(cat "$BATS_TEST_TMPDIR/port")
}

rawhttp_stop() { # in teardown: the server, if one was started
	[ ! -f "$BATS_TEST_TMPDIR/pid" ] || kill "$(cat "$BATS_TEST_TMPDIR/pid")" 2>/dev/null || true
}

kubeconfig() { # SERVER-URL [CA-FILE]: a token user's kubeconfig, exported as KUBECONFIG
	cat >"$BATS_TEST_TMPDIR/kubeconfig" <<-EOF_KUBECONFIG
		apiVersion: v1
		kind: Config
		clusters:
		- name: c
		  cluster:
		    server: $1
		${2:+    certificate-authority: $2}
		users:
		- name: u
		  user:
		    token: sekret-token-123
		contexts:
		- name: x
		  context: {cluster: c, user: u}
		current-context: x
	EOF_KUBECONFIG
	export KUBECONFIG=$BATS_TEST_TMPDIR/kubeconfig
}

req() { # N FILTER: jq FILTER on the Nth request the server received
	sed -n "${1}p" "$LOG" | jq -r "$2"
}
