"""The Domain controller of the simulated node (spec/routes-and-tokens.md §1).

For every Domain D: namespace D exists, labelled kuscia.secretflow/domain-name (and
kuscia.secretflow/role, kuscia.secretflow/interconn-protocols when the Domain has them), as
upstream's pkg/controllers/domain/namespace.go does. For a partner Domain D (role partner, an
authCenter, master empty or D, first interConnProtocol kuscia or none): ServiceAccount D in
namespace D and the reverse ClusterDomainRoute D-<self> (source D, destination self, no
endpoint, Token/RSA-GEN, rollingUpdatePeriod 86400, Authorization "Bearer <SA token>"), both
owned by Domain D, then the label kuscia.secretflow/domain-auth: completed on Domain D.
Deleting Domain D removes what it owns (ServiceAccount, reverse route) and, as upstream, only
labels namespace D kuscia.secretflow/deleted: "true".

Runs synchronously in the writer's thread (after the commit), so an API answer returns after
its side effects; a resync at start covers objects written while the node was stopped.
"""

import threading

from .store import GROUP, VERSION, ApiError

TEN_YEARS = 87600 * 3600
RESERVED = {"default", "kube-system", "kube-public", "kube-node-lease", "master", "cross-domain"}


class DomainController:
    def __init__(self, node):
        self.node = node
        self.store = node.store
        self._lock = threading.RLock()

    def on_event(self, ev, obj):
        if obj.get("kind") != "Domain":
            return
        with self._lock:
            try:
                if ev == "DELETED":
                    self.deleted(obj)
                else:
                    self.sync(obj["metadata"]["name"])
            except Exception as e:  # keep the writer alive; log as Kuscia would
                self.node.log("WARN", "domain controller: sync of Domain %s failed: %s" % (obj["metadata"]["name"], e))

    def resync(self):
        with self._lock:
            for d in self.store.list("domains"):
                try:
                    self.sync(d["metadata"]["name"])
                except Exception as e:
                    self.node.log("WARN", "domain controller: sync of Domain %s failed: %s" % (d["metadata"]["name"], e))

    def _ensure(self, obj):
        m = obj["metadata"]
        plural = {"Namespace": "namespaces", "ServiceAccount": "serviceaccounts"}.get(obj["kind"])
        if plural and self.store.get(plural, m.get("namespace", ""), m["name"]) is not None:
            return False
        try:
            self.store.create(obj)
            return True
        except ApiError as e:
            if e.code != 409:
                raise
            return False

    def ensure_namespace(self, name, domain=None):
        """Namespace of a Domain with upstream's labels (created, or its labels brought up to date)."""
        spec = (domain or {}).get("spec") or {}
        want = {"kuscia.secretflow/domain-name": name}
        if spec.get("role"):
            want["kuscia.secretflow/role"] = spec["role"]
        protos = spec.get("interConnProtocols") or []
        if protos and protos[0]:
            want["kuscia.secretflow/interconn-protocols"] = protos[0]
        ns = self.store.get("namespaces", "", name)
        if ns is None:
            labels = dict(want, **{"kubernetes.io/metadata.name": name})
            if self._ensure({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels},
                             "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}):
                self._ensure({"apiVersion": "v1", "kind": "ServiceAccount",
                              "metadata": {"name": "default", "namespace": name}})
            return
        labels = dict(ns["metadata"].get("labels") or {})
        new = dict(labels)
        new.pop("kuscia.secretflow/deleted", None)
        new.setdefault("kuscia.secretflow/domain-name", name)
        for k in ("kuscia.secretflow/role", "kuscia.secretflow/interconn-protocols"):
            if k in want:
                new[k] = want[k]
            else:
                new.pop(k, None)
        if new != labels:
            ns["metadata"]["labels"] = new
            ns["metadata"].pop("resourceVersion", None)
            self.store.update(ns)

    @staticmethod
    def is_partner(d):
        spec = d.get("spec") or {}
        name = d["metadata"]["name"]
        protos = spec.get("interConnProtocols") or []
        return (spec.get("role") == "partner" and bool(spec.get("authCenter"))
                and spec.get("master", "") in ("", name) and (not protos or protos[0] == "kuscia"))

    def sync(self, name):
        d = self.store.get("domains", "", name)
        if d is None:
            return
        self.ensure_namespace(name, d)
        if name == self.node.domain or not self.is_partner(d):
            return
        me = self.node.domain
        owner = {"apiVersion": GROUP + "/" + VERSION, "kind": "Domain", "name": name, "uid": d["metadata"]["uid"],
                 "controller": True, "blockOwnerDeletion": True}
        self._ensure({"apiVersion": "v1", "kind": "ServiceAccount",
                      "metadata": {"name": name, "namespace": name, "ownerReferences": [owner]}})
        auth = d["spec"].get("authCenter") or {}
        cdr_name = "%s-%s" % (name, me)
        cur = self.store.get("clusterdomainroutes", "", cdr_name)
        if cur is None:
            token, _ = self.node.k8s.mint_token(name, name, TEN_YEARS) if self.node.k8s else ("", 0)
            cdr = {"apiVersion": GROUP + "/" + VERSION, "kind": "ClusterDomainRoute",
                   "metadata": {"name": cdr_name,
                                "labels": {"kuscia.secretflow/clusterdomainroute-source": name,
                                           "kuscia.secretflow/clusterdomainroute-destination": me,
                                           "kuscia.secertflow/domainroute-partner": name},
                                "ownerReferences": [owner]},
                   "spec": {"source": name, "destination": me, "interConnProtocol": "kuscia",
                            "authenticationType": auth.get("authenticationType", "Token"),
                            "tokenConfig": {"tokenGenMethod": auth.get("tokenGenMethod") or "RSA-GEN",
                                            "rollingUpdatePeriod": 86400},
                            "requestHeadersToAdd": {"Authorization": "Bearer " + token}}}
            try:
                self.store.create(cdr)
                self.node.log("INFO", "Create clusterdomainroute %s for partner domain %s" % (cdr_name, name))
            except ApiError as e:
                if e.code != 409:
                    raise
        labels = d["metadata"].get("labels") or {}
        if labels.get("kuscia.secretflow/domain-auth") != "completed":
            d = self.store.get("domains", "", name)
            d["metadata"].setdefault("labels", {})["kuscia.secretflow/domain-auth"] = "completed"
            d["metadata"].pop("resourceVersion", None)
            self.store.update(d)

    def deleted(self, d):
        """Upstream only marks the namespace of a deleted Domain."""
        name = d["metadata"]["name"]
        if name == self.node.domain or name in RESERVED:
            return
        ns = self.store.get("namespaces", "", name)
        if ns is None or (ns["metadata"].get("labels") or {}).get("kuscia.secretflow/deleted") == "true":
            return
        ns["metadata"].setdefault("labels", {})["kuscia.secretflow/deleted"] = "true"
        ns["metadata"].pop("resourceVersion", None)
        try:
            self.store.update(ns)
            self.node.log("INFO", "Delete domain namespace %s" % name)
        except ApiError:
            pass


def start(node):
    dc = DomainController(node)
    node.domain_controller = dc
    node.store.subscribe(dc.on_event)
    dc.resync()
