/* kinds.c - the object kinds kc sends to an apiserver: API paths and kubectl's names */
#include <stdlib.h>
#include <string.h>

#include "kc.h"

static const struct kc_kind kinds[] = {
	{"Domain", "kuscia.secretflow", "v1alpha1", "domains", "domain", 0},
	{"ClusterDomainRoute", "kuscia.secretflow", "v1alpha1", "clusterdomainroutes", "clusterdomainroute", 0},
	{"DomainRoute", "kuscia.secretflow", "v1alpha1", "domainroutes", "domainroute", 1},
	{"DomainData", "kuscia.secretflow", "v1alpha1", "domaindatas", "domaindata", 1},
	{"DomainDataGrant", "kuscia.secretflow", "v1alpha1", "domaindatagrants", "domaindatagrant", 1},
	{"DomainDataSource", "kuscia.secretflow", "v1alpha1", "domaindatasources", "domaindatasource", 1},
	{"KusciaJob", "kuscia.secretflow", "v1alpha1", "kusciajobs", "kusciajob", 1},
	{"KusciaTask", "kuscia.secretflow", "v1alpha1", "kusciatasks", "kusciatask", 1},
	{"Namespace", "", "v1", "namespaces", "namespace", 0},
	{"ServiceAccount", "", "v1", "serviceaccounts", "serviceaccount", 1},
	{"ConfigMap", "", "v1", "configmaps", "configmap", 1},
};

const struct kc_kind *
kc_kind_find(const char *api_version, const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const struct kc_kind *k = &kinds[i];
		size_t gl = strlen(k->group);

		if (strcmp(kind, k->kind) != 0)
			continue;
		if (gl == 0 ? strcmp(api_version, k->version) == 0
			    : strncmp(api_version, k->group, gl) == 0 && api_version[gl] == '/' &&
			      strcmp(api_version + gl + 1, k->version) == 0)
			return k;
	}
	return NULL;
}

char *
kc_kind_path(const struct kc_kind *k, const char *ns, const char *name)
{
	char *base = k->group[0] == '\0' ? kc_xasprintf("/api/%s", k->version)
					 : kc_xasprintf("/apis/%s/%s", k->group, k->version);
	char *p;

	if (k->namespaced)
		p = kc_xasprintf("%s/namespaces/%s/%s%s%s", base, ns, k->plural,
		    name != NULL ? "/" : "", name != NULL ? name : "");
	else
		p = kc_xasprintf("%s/%s%s%s", base, k->plural, name != NULL ? "/" : "",
		    name != NULL ? name : "");
	free(base);
	return p;
}

char *
kc_kind_ref(const struct kc_kind *k, const char *name)
{
	return k->group[0] == '\0' ? kc_xasprintf("%s/%s", k->singular, name)
				   : kc_xasprintf("%s.%s/%s", k->singular, k->group, name);
}

/* a Kubernetes object name: DNS subdomain, at most 253 characters */
int
kc_object_name_valid(const char *n)
{
	size_t i, len = strlen(n);

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		char c = n[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && c != '-' && c != '.')
			return 0;
		if (!alnum && (i == 0 || i == len - 1))
			return 0;
	}
	return 1;
}
