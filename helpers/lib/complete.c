/* complete.c - a helper's --complete: the words that may come next (share/kc/completions) */
#include <getopt.h>
#include <string.h>

#include "kc.h"

/* the option WORD names ("--name", "--name=v", "-c"), or NULL; *inline_value when "=v" */
static const struct option *
find_option(const struct option *longopts, const char *word, int *inline_value)
{
	const struct option *p;
	size_t n;

	*inline_value = 0;
	if (word[0] != '-' || word[1] == '\0')
		return NULL;
	if (word[1] != '-') {
		for (p = longopts; p->name != NULL; p++)
			if (word[2] == '\0' && p->flag == NULL && p->val == (unsigned char)word[1])
				return p;
		return NULL;
	}
	n = strcspn(word + 2, "=");
	*inline_value = word[2 + n] == '=';
	for (p = longopts; p->name != NULL; p++)
		if (strlen(p->name) == n && strncmp(p->name, word + 2, n) == 0)
			return p;
	return NULL;
}

int
kc_complete(const char *verbs, const struct option *longopts, int nwords, char *const *words)
{
	const struct option *p, *pending = NULL;
	int i, operand = 0, inline_value;

	for (i = 0; i < nwords; i++) {
		if (pending != NULL) {	/* this word is the option's value */
			pending = NULL;
			continue;
		}
		p = find_option(longopts, words[i], &inline_value);
		if (p != NULL && p->has_arg == required_argument && !inline_value)
			pending = p;
		else if (words[i][0] != '-' || words[i][1] == '\0')
			operand = 1;
	}
	if (pending != NULL) {	/* the next word is a value: only -o's are known */
		if (strcmp(pending->name, "output") == 0)
			fputs("text\njson\n", stdout);
		return kc_close_stdout();
	}
	if (!operand && verbs != NULL)
		for (verbs += strspn(verbs, " "); *verbs != '\0'; verbs += strspn(verbs, " ")) {
			size_t n = strcspn(verbs, " ");

			printf("%.*s\n", (int)n, verbs);
			verbs += n;
		}
	for (p = longopts; p->name != NULL; p++)
		printf("--%s\n", p->name);
	return kc_close_stdout();
}
