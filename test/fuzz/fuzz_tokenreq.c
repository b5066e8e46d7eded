/* fuzz_tokenreq - kc-token sa's reading of the apiserver's TokenRequest answer
 * (kc_tokenreq_answer: HTTP status, a Status's message, status.token). The first byte picks
 * the HTTP status, the rest is the body */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_tokenreq");
	return 0;
}

static const long statuses[] = { 201, 201, 201, 200, 400, 401, 403, 404, 422, 500, 0, -1 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_resp r = { 0 };
	char *tok = NULL;
	size_t i;

	if (size < 1)
		return 0;
	r.status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	r.body = fuzz_str(data + 1, size - 1);
	r.len = size - 1;
	if (kc_tokenreq_answer(&r, "alice", "alice", &tok) == KC_OK) {
		/* printed as one line by kc-token: not empty, nothing but visible ASCII */
		if (tok == NULL || *tok == '\0')
			abort();
		for (i = 0; tok[i] != '\0'; i++)
			if ((unsigned char)tok[i] <= ' ' || (unsigned char)tok[i] >= 0x7f)
				abort();
		kc_wipe_free(tok, strlen(tok) + 1);
	} else if (tok != NULL) {
		abort();
	}
	free(r.body);
	return 0;
}
