/* tokenreq.c - the apiserver's answer to a TokenRequest (kc-token sa, as `kubectl create
 * token`): the token out of status.token, no network */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kc.h"

int
kc_tokenreq_answer(const struct kc_resp *r, const char *sa, const char *ns, char **token)
{
	const char *tok = NULL;
	json_t *ans = NULL;
	char *m;
	size_t i;
	int rc = KC_OK;

	*token = NULL;
	if (r->status != 200 && r->status != 201) {
		m = kc_status_message(r);
		/* 404: no such service account or namespace: a partner Domain brings both */
		if (r->status == 404 && strcmp(sa, ns) == 0)
			rc = kc_err(KC_EAPI, "cannot create a token for serviceaccount '%s' in "
			    "namespace '%s': %s -- is '%s' a partner domain of this node? "
			    "'add_domain.sh %s p2p' registers one, with its service account", sa, ns,
			    m, sa, sa);
		else
			rc = kc_err(KC_EAPI, "cannot create a token for serviceaccount '%s' in "
			    "namespace '%s': %s", sa, ns, m);
		free(m);
		goto out;
	}
	ans = json_loadb(r->body, r->len, 0, NULL);
	if (json_unpack(ans, "{s:{s:s}}", "status", "token", &tok) != 0 || *tok == '\0') {
		rc = kc_err(KC_EAPI, "the apiserver answered the TokenRequest without a token");
		goto out;
	}
	/* a JWT: printed as one line, never with a line break or control character in it */
	for (i = 0; tok[i] != '\0'; i++)
		if ((unsigned char)tok[i] <= ' ' || (unsigned char)tok[i] >= 0x7f) {
			rc = kc_err(KC_EAPI, "the apiserver answered the TokenRequest with a token "
			    "holding a space, line break, control character or non-ASCII byte at "
			    "byte %zu", i + 1);
			goto out;
		}
	*token = kc_xstrdup(tok);
out:
	if (tok != NULL)
		OPENSSL_cleanse((char *)tok, strlen(tok));	/* jansson's copy of it */
	json_decref(ans);
	return rc;
}
