/* endpoint.c - the one parser of peer endpoint URLs (CONTRACTS.md section 4) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kc.h"

static int
host_valid(const char *h, size_t n)
{
	size_t i, label = 0;

	/* the CRD's pattern: an IPv4 address or DNS labels of [A-Za-z0-9-], no '-' at a label's ends */
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		label++;
	}
	return label > 0 && h[n - 1] != '-';
}

int
kc_endpoint_parse(const char *url, struct kc_endpoint *ep)
{
	const char *p = url, *sep, *h, *hend;
	json_t *path;
	size_t i;

	memset(ep, 0, sizeof *ep);
	for (i = 0; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return kc_err(KC_EINPUT, "invalid endpoint '%s': it contains a space or a "
			    "control character -- remove it", url);
	if (*url == '\0')
		return kc_err(KC_EINPUT, "invalid endpoint '': it is empty -- give "
		    "http(s)://HOST:PORT, e.g. https://1.2.3.4:21080");
	if ((sep = strstr(url, "://")) != NULL) {
		size_t sl = (size_t)(sep - url);

		if (sl == 0)
			return kc_err(KC_EINPUT, "invalid endpoint '%s': the scheme before '://' is "
			    "empty -- use http:// or https://", url);
		if (sl == 5 && strncasecmp(url, "https", 5) == 0)
			ep->tls = 1;
		else if (!(sl == 4 && strncasecmp(url, "http", 4) == 0))
			return kc_err(KC_EINPUT, "invalid endpoint '%s': unknown scheme '%.*s' -- "
			    "use http:// or https://", url, (int)sl, url);
		p = sep + 3;
	}
	h = p;
	hend = h + strcspn(h, ":/");
	if (*h == '[')
		return kc_err(KC_EINPUT, "invalid endpoint '%s': IPv6 addresses are not supported "
		    "by Kuscia's gateway -- use an IPv4 address or a host name", url);
	if (hend == h)
		return kc_err(KC_EINPUT, "invalid endpoint '%s': the host is empty -- give "
		    "http(s)://HOST:PORT, e.g. https://1.2.3.4:21080", url);
	if (!host_valid(h, (size_t)(hend - h)))
		return kc_err(KC_EINPUT, "invalid endpoint '%s': '%.*s' is not an IPv4 address or "
		    "host name -- give http(s)://HOST:PORT, e.g. https://1.2.3.4:21080", url,
		    (int)(hend - h), h);
	ep->host = kc_xasprintf("%.*s", (int)(hend - h), h);
	ep->port = ep->tls ? 443 : 80;
	p = hend;
	if (*p == ':') {
		const char *ps = p + 1;
		char *end;
		long v;

		p = ps + strcspn(ps, "/");
		errno = 0;
		v = strtol(ps, &end, 10);
		if (p == ps || end != p || errno != 0 || *ps == '+' || *ps == '-' || v < 1 ||
		    v > 65535) {
			kc_err(KC_EINPUT, "invalid endpoint '%s': port '%.*s' is not a number from 1 "
			    "to 65535 -- give http(s)://HOST:PORT, e.g. https://1.2.3.4:21080", url,
			    (int)(p - ps), ps);
			kc_endpoint_free(ep);
			return KC_EINPUT;
		}
		if (*ps == '0') {	/* upstream's YAML read 0100 as octal (64) */
			kc_err(KC_EINPUT, "invalid endpoint '%s': port '%.*s' has a leading zero -- "
			    "write it as %ld", url, (int)(p - ps), ps, v);
			kc_endpoint_free(ep);
			return KC_EINPUT;
		}
		ep->port = (int)v;
	}
	/* jansson's rule: the route (kc-render) and -o json must be able to carry the path */
	if ((path = json_string(*p == '/' ? p : "/")) == NULL) {
		kc_err(KC_EINPUT, "invalid endpoint '%s': the path is not valid UTF-8 -- "
		    "percent-encode it", url);
		kc_endpoint_free(ep);
		return KC_EINPUT;
	}
	json_decref(path);
	ep->path = kc_xstrdup(*p == '/' ? p : "/");
	return KC_OK;
}

void
kc_endpoint_free(struct kc_endpoint *ep)
{
	free(ep->host);
	free(ep->path);
	ep->host = ep->path = NULL;
}
