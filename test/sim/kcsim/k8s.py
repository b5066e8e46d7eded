"""The Kubernetes API of the simulated node: what kubectl 1.32 and kc ask of k3s.

Authentication: a client certificate issued by the node CA (kubeconfig's, O=system:masters:
everything allowed; any other CN: only discovery), or a service-account JWT of this node
(get/list in its own namespace). Anonymous requests: 401, as k3s (anonymous auth off).
"""

import base64
import collections
import datetime
import hashlib
import json
import queue
import random
import threading
import time
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID

from . import patch as P
from .httpserver import Response
from .store import GROUP, KINDS, VERSION, ApiError, already_exists, not_found, now_rfc3339
from .validate import check, drop_nulls, invalid

GIT_VERSION = "v1.32.4+k3s1"
GV = GROUP + "/" + VERSION
ISSUER = "https://kubernetes.default.svc.cluster.local"
VERBS = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml",
               "application/strategic-merge-patch+json", "application/apply-patch+cbor")


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class User:
    def __init__(self, name, groups, sa=None):
        self.name = name
        self.groups = groups
        self.sa = sa  # (namespace, name) for a service account

    @property
    def admin(self):
        return "system:masters" in self.groups


class _Obj(dict):
    """A decoded JSON object that remembers its duplicate keys."""
    dups = ()


def _pairs(pairs):
    d = _Obj()
    dups = []
    for k, v in pairs:
        if k in d:
            dups.append(k)
        d[k] = v
    if dups:
        d.dups = dups
    return d


def _find_dup(v, path=""):
    if isinstance(v, dict):
        for k in getattr(v, "dups", ()):
            return (path + "." + k) if path else k
        for k, x in v.items():
            f = _find_dup(x, (path + "." + k) if path else k)
            if f:
                return f
    elif isinstance(v, list):
        for i, x in enumerate(v):
            f = _find_dup(x, "%s[%d]" % (path, i))
            if f:
                return f
    return None


def _plain(v):
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def human_duration(seconds):
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm" % m if s % 60 == 0 else "%dm%ds" % (m, s % 60)
    if m < 180:
        return "%dm" % m
    h = s // 3600
    if h < 8:
        return "%dh" % h if m % 60 == 0 else "%dh%dm" % (h, m % 60)
    if h < 48:
        return "%dh" % h
    if h < 24 * 8:
        return "%dd" % (h // 24) if h % 24 == 0 else "%dd%dh" % (h // 24, h % 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    if h < 24 * 365 * 8:
        dy = (h // 24) % 365
        return "%dy" % (h // 24 // 365) if dy == 0 else "%dy%dd" % (h // 24 // 365, dy)
    return "%dy" % (h // 24 // 365)


def _age(ts):
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    return human_duration((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())


def jsonpath(obj, path):
    """The subset of JSONPath used by printer columns: .a.b, [N], [*], [?(@.k=="v")]."""
    import re
    cur = [obj]
    for tok in re.findall(r'\.([A-Za-z0-9_-]+)|\[\?\(@\.([A-Za-z0-9_]+)\s*==\s*"([^"]*)"\)\]|\[(\d+|\*)\]', path):
        name, fk, fv, idx = tok
        nxt = []
        for c in cur:
            if name:
                if isinstance(c, dict) and name in c:
                    nxt.append(c[name])
            elif fk:
                if isinstance(c, list):
                    nxt.extend(x for x in c if isinstance(x, dict) and x.get(fk) == fv)
            elif idx == "*":
                if isinstance(c, list):
                    nxt.extend(c)
                elif isinstance(c, dict):
                    nxt.extend(c.values())
            elif isinstance(c, list) and int(idx) < len(c):
                nxt.append(c[int(idx)])
        cur = nxt
    return cur


class Watchers:
    """Fan-out of store events to open watches, with a short history for resourceVersion."""

    def __init__(self, store):
        self.lock = threading.Lock()
        self.queues = set()
        self.history = collections.deque(maxlen=4096)
        store.subscribe(self.on_event)

    def on_event(self, ev, obj):
        with self.lock:
            self.history.append((ev, obj))
            for q in self.queues:
                q.put((ev, obj))

    def register(self, since=None):
        q = queue.Queue()
        with self.lock:
            self.queues.add(q)
            past = [] if since is None else [(e, o) for e, o in self.history if _rv(o) > since]
        return q, past

    def unregister(self, q):
        with self.lock:
            self.queues.discard(q)


def _rv(obj):
    try:
        return int(obj["metadata"]["resourceVersion"])
    except (KeyError, TypeError, ValueError):
        return 0


class K8sApi:
    def __init__(self, node):
        self.node = node
        self.store = node.store
        self._sa_key = None
        self.watchers = Watchers(node.store)
        self._cert_users = {}  # id(certificate) -> (certificate, User)

    # ---- service-account tokens ----------------------------------------------------------------
    def sa_key(self):
        if self._sa_key is None:
            with open(self.node.path("sim/certs/sa.key"), "rb") as f:
                self._sa_key = serialization.load_pem_private_key(f.read(), password=None)
        return self._sa_key

    def _kid(self):
        der = self.sa_key().public_key().public_bytes(serialization.Encoding.DER,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
        return _b64u(hashlib.sha256(der).digest())

    def mint_token(self, namespace, name, seconds, audiences=None):
        sa = self.store.get("serviceaccounts", namespace, name)
        if sa is None:
            raise not_found(KINDS["serviceaccounts"], name)
        now = int(time.time())
        claims = {"aud": audiences or [ISSUER, "k3s"], "exp": now + int(seconds), "iat": now, "iss": ISSUER,
                  "jti": str(uuid.uuid4()),
                  "kubernetes.io": {"namespace": namespace,
                                    "serviceaccount": {"name": name, "uid": sa["metadata"]["uid"]}},
                  "nbf": now, "sub": "system:serviceaccount:%s:%s" % (namespace, name)}
        head = {"alg": "RS256", "kid": self._kid()}
        signing = _b64u(json.dumps(head, separators=(",", ":")).encode()) + "." + \
            _b64u(json.dumps(claims, separators=(",", ":")).encode())
        sig = self.sa_key().sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing + "." + _b64u(sig), now + int(seconds)

    def _verify_token(self, tok):
        try:
            h, c, s = tok.split(".")
            self.sa_key().public_key().verify(_b64u_dec(s), (h + "." + c).encode(), padding.PKCS1v15(),
                                              hashes.SHA256())
            claims = json.loads(_b64u_dec(c))
        except (ValueError, InvalidSignature, TypeError):
            return None
        if claims.get("exp", 0) < time.time() or claims.get("iss") != ISSUER:
            return None
        k = claims.get("kubernetes.io") or {}
        ns, sa = k.get("namespace"), (k.get("serviceaccount") or {}).get("name")
        cur = self.store.get("serviceaccounts", ns or "", sa or "")
        if cur is None or cur["metadata"]["uid"] != (k.get("serviceaccount") or {}).get("uid"):
            return None
        return User("system:serviceaccount:%s:%s" % (ns, sa),
                    ["system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"], (ns, sa))

    # ---- entry point ---------------------------------------------------------------------------
    def handle(self, req):
        try:
            user = self._authenticate(req)
            if user is None:
                return self._status(ApiError(401, "Unauthorized", "Unauthorized"))
            return self._route(req, user)
        except ApiError as e:
            return self._status(e)

    def _status(self, e):
        return Response(e.code, e.status())

    def _authenticate(self, req):
        cert = req.client_cert
        if cert is not None:
            # a connection presents one certificate object for all its requests: decode it once
            hit = self._cert_users.get(id(cert))
            if hit is not None and hit[0] is cert:
                return hit[1]
            cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            orgs = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
            user = User(cns[0].value if cns else "", orgs + ["system:authenticated"])
            if len(self._cert_users) >= 256:
                self._cert_users.clear()
            self._cert_users[id(cert)] = (cert, user)
            return user
        auth = req.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return self._verify_token(auth[7:].strip())
        return None

    # ---- routing -------------------------------------------------------------------------------
    def _route(self, req, user):
        path = req.path.rstrip("/") or "/"
        if path in ("/healthz", "/livez", "/readyz"):
            return Response(200, "ok", content_type="text/plain; charset=utf-8")
        if path == "/version":
            return Response(200, self._version())
        if path == "/api":
            return Response(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % self.node.ports.get("api", 0)}]})
        if path == "/apis":
            return Response(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [self._group()]})
        if path == "/apis/" + GROUP:
            return Response(200, dict(self._group(), kind="APIGroup", apiVersion="v1"))
        if path == "/api/v1":
            return Response(200, self._resource_list("", "v1"))
        if path == "/apis/" + GV:
            return Response(200, self._resource_list(GROUP, VERSION))
        if path == "/openapi/v3":
            return Response(200, self._openapi_index())
        if path == "/openapi/v3/apis/" + GV:
            return Response(200, self._openapi_doc(GROUP, VERSION))
        if path == "/openapi/v3/api/v1":
            return Response(200, self._openapi_doc("", "v1"))
        if path.startswith("/api/v1/"):
            return self._resource(req, user, "", "v1", path[len("/api/v1/"):].split("/"))
        if path.startswith("/apis/" + GV + "/"):
            return self._resource(req, user, GROUP, VERSION, path[len("/apis/" + GV + "/"):].split("/"))
        raise ApiError(404, "NotFound", "the server could not find the requested resource", {})

    def _version(self):
        return {"major": "1", "minor": "32", "gitVersion": GIT_VERSION,
                "gitCommit": "0e7b6eb2c8c9b5a5b2c0e7c4a7f1e1d9e0c5f9a1", "gitTreeState": "clean",
                "buildDate": "2025-04-22T19:20:44Z", "goVersion": "go1.23.6", "compiler": "gc",
                "platform": "linux/amd64"}

    @staticmethod
    def _group():
        gv = {"groupVersion": GV, "version": VERSION}
        return {"name": GROUP, "versions": [gv], "preferredVersion": gv}

    @staticmethod
    def _kinds(group, version):
        return [k for k in KINDS.values() if k.group == group and k.version == version]

    def _resource_list(self, group, version):
        res = []
        for k in self._kinds(group, version):
            r = {"name": k.plural, "singularName": k.singular, "namespaced": k.namespaced, "kind": k.kind,
                 "verbs": VERBS}
            if k.short:
                r["shortNames"] = k.short
            r["storageVersionHash"] = _b64u(hashlib.sha256(k.resource.encode()).digest()[:8])
            res.append(r)
            if k.status:
                res.append({"name": k.plural + "/status", "singularName": "", "namespaced": k.namespaced,
                            "kind": k.kind, "verbs": ["get", "patch", "update"]})
            if k.plural == "serviceaccounts":
                res.append({"name": "serviceaccounts/token", "singularName": "", "namespaced": True,
                            "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest",
                            "verbs": ["create"]})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": (group + "/" + version) if group
                else version, "resources": res}

    def _openapi_index(self):
        paths = {}
        for key, (g, v) in {"api/v1": ("", "v1"), "apis/" + GV: (GROUP, VERSION)}.items():
            h = hashlib.sha512(json.dumps(self._openapi_doc(g, v), sort_keys=True).encode()).hexdigest().upper()
            paths[key] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (key, h[:128])}
        return {"paths": paths}

    def _openapi_doc(self, group, version):
        params_write = [
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
        ]
        paths = {}
        schemas = {}
        base = ("/apis/%s/%s" % (group, version)) if group else "/api/v1"
        for k in self._kinds(group, version):
            gvk = {"group": group, "version": version, "kind": k.kind}
            ref = "%s.%s.%s" % ("io.k8s.api.core.v1" if not group else "io.secretflow.kuscia", version, k.kind)
            schemas[ref] = {"type": "object", "x-kubernetes-group-version-kind": [gvk]}
            content = {"application/json": {"schema": {"$ref": "#/components/schemas/" + ref}}}
            resp = {"200": {"description": "OK", "content": content}}

            def op(action, extra=(), patch_types=None, _gvk=gvk, _resp=resp, _content=content):
                o = {"description": action, "operationId": action, "responses": _resp,
                     "x-kubernetes-action": action, "x-kubernetes-group-version-kind": _gvk,
                     "parameters": list(extra)}
                if patch_types:
                    o["requestBody"] = {"content": {t: {"schema": {"type": "object"}} for t in patch_types},
                                        "required": True}
                elif action in ("post", "put"):
                    o["requestBody"] = {"content": _content, "required": True}
                return o

            ptypes = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
            prefixes = [base + "/namespaces/{namespace}/" + k.plural] if k.namespaced else [base + "/" + k.plural]
            for pre in prefixes:
                paths[pre] = {"get": op("list"), "post": op("post", params_write),
                              "delete": op("deletecollection")}
                paths[pre + "/{name}"] = {"get": op("get"), "put": op("put", params_write),
                                          "patch": op("patch", params_write + [
                                              {"name": "force", "in": "query", "schema": {"type": "boolean"}}],
                                              ptypes), "delete": op("delete")}
                if k.status:
                    paths[pre + "/{name}/status"] = {"get": op("get"), "put": op("put", params_write),
                                                     "patch": op("patch", params_write, ptypes)}
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": GIT_VERSION}, "paths": paths,
                "components": {"schemas": schemas}}

    # ---- resources -----------------------------------------------------------------------------
    def _resource(self, req, user, group, version, segs):
        segs = [s for s in segs]
        ns = None
        kind = None
        if len(segs) >= 3 and segs[0] == "namespaces":
            cand = KINDS.get(segs[2])
            if cand is not None and cand.namespaced and cand.group == group and cand.version == version:
                ns, kind, rest = segs[1], cand, segs[3:]
        if kind is None:
            kind = KINDS.get(segs[0])
            rest = segs[1:]
            if kind is None or kind.group != group or kind.version != version or len(rest) > 2:
                raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
        if len(rest) > 2:
            raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
        name = rest[0] if rest else None
        sub = rest[1] if len(rest) > 1 else None
        if sub is not None and not ((sub == "status" and kind.status) or
                                    (sub == "token" and kind.plural == "serviceaccounts")):
            raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
        if name == "":
            raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
        verb = self._verb(req.method, name, sub)
        self._authorize(user, verb, kind, ns, name, sub)
        if kind.namespaced and ns is None and verb not in ("list", "watch"):
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                           {})
        if sub == "token":
            return self._token_request(req, ns, name)
        if verb == "list" and req.param("watch", "false").lower() in ("true", "1"):
            return self._watch(req, kind, ns)
        if verb == "list":
            return self._list(req, kind, ns)
        if verb == "get":
            data = self.store.get_raw(kind.plural, ns or "", name)
            if data is None:
                raise not_found(kind, name)
            if "as=Table" not in req.headers.get("accept", ""):
                return Response(200, data.encode())  # the stored text is the answer's JSON
            return self._out(req, kind, json.loads(data))
        if verb == "create":
            return self._create(req, kind, ns)
        if verb == "update":
            return self._update(req, kind, ns, name, sub)
        if verb == "patch":
            return self._patch(req, kind, ns, name, sub)
        if verb == "delete":
            return self._delete(req, kind, ns, name)
        if verb == "deletecollection":
            return self._delete_collection(req, kind, ns)
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})

    @staticmethod
    def _verb(method, name, sub):
        if method in ("GET", "HEAD"):
            return "get" if name else "list"
        if method == "POST":
            return "create" if not name or sub == "token" else "invalid"
        if method == "PUT" and name:
            return "update"
        if method == "PATCH" and name:
            return "patch"
        if method == "DELETE":
            return "delete" if name else "deletecollection"
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})

    def _authorize(self, user, verb, kind, ns, name, sub):
        if verb == "invalid":
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                           {})
        if user.admin:
            return
        if user.sa and verb in ("get", "list") and ns == user.sa[0] and not sub:
            return
        res = kind.plural + ("/" + sub if sub else "")
        what = kind.resource + (' "%s"' % name if name else "")
        scope = 'in the namespace "%s"' % ns if ns else "at the cluster scope"
        details = {"name": name} if name else {}
        if kind.group:
            details["group"] = kind.group
        details["kind"] = kind.plural
        raise ApiError(403, "Forbidden", '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s'
                       % (what, user.name, verb, res, kind.group, scope), details)

    # ---- helpers ---------------------------------------------------------------------------------
    def _body(self, req, yaml_ok=False, kind=None):
        if not req.body:
            raise ApiError(400, "BadRequest", "the server rejected our request due to an error in our request")
        if "protobuf" in req.headers.get("content-type", ""):
            from . import pb
            try:
                return pb.decode(req.body)
            except (ValueError, IndexError, UnicodeDecodeError) as e:
                raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                               "accepted media types include: application/json, application/yaml (%s)" % e)
        text = req.body.decode("utf-8", "replace")
        dups = []

        def pairs(ps):
            d = dict(ps)
            if len(d) != len(ps):
                dups.append(True)
                return _pairs(ps)
            return d
        try:
            obj = json.loads(text, object_pairs_hook=pairs)
        except ValueError as e:
            if not yaml_ok and "yaml" not in req.headers.get("content-type", ""):
                raise ApiError(400, "BadRequest", "the object provided is unrecognized (must be of type %s): "
                               "couldn't get version/kind; json parse error: %s" % ("Object", e))
            try:
                return P.yaml_load(text)
            except P.YamlError as e:
                raise ApiError(400, "BadRequest", "error decoding YAML: %s" % e)
        if not dups:
            return obj
        dup = _find_dup(obj)
        obj = _plain(obj)
        if dup and req.param("fieldValidation", "Strict") == "Strict":
            name = ((obj.get("metadata") or {}).get("name", "") if isinstance(obj, dict) else "")
            if kind is None:
                raise ApiError(400, "BadRequest", 'strict decoding error: duplicate field "%s"' % dup)
            raise invalid(kind, name, [("FieldValueDuplicate", dup, 'duplicate field "%s"' % dup)])
        return obj

    def _manager(self, req, default=None):
        m = req.param("fieldManager")
        if m:
            return m
        ua = req.headers.get("user-agent", "unknown")
        return default or ua.split("/")[0] or "unknown"

    def _validation(self, req):
        v = req.param("fieldValidation", "Strict") or "Strict"
        if v not in ("Strict", "Warn", "Ignore"):
            raise ApiError(400, "BadRequest", 'fieldValidation parameter unsupported: %s' % v)
        return v

    def _out(self, req, kind, obj, code=200, warnings=()):
        headers = {}
        if warnings:
            headers["Warning"] = ['299 - %s' % json.dumps(w) for w in warnings]
        if "as=Table" in req.headers.get("accept", ""):
            return Response(code, self._table(kind, [obj], req), headers)
        return Response(code, obj, headers)

    def _out_raw(self, req, kind, data, code=200, warnings=()):
        """_out of an object the store gave as its JSON text (the same bytes as _out's)."""
        if "as=Table" in req.headers.get("accept", ""):
            return self._out(req, kind, json.loads(data), code, warnings)
        headers = {}
        if warnings:
            headers["Warning"] = ['299 - %s' % json.dumps(w) for w in warnings]
        return Response(code, data.encode(), headers)

    def _check_identity(self, kind, obj, ns, name=None):
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "the object provided is unrecognized (must be of type %s)" % kind.kind)
        av, k = obj.get("apiVersion"), obj.get("kind")
        if (av and av != kind.api_version) or (k and k != kind.kind):
            raise ApiError(400, "BadRequest", "the API version in the data (%s) does not match the expected API "
                           "version (%s)" % (av, kind.api_version) if av != kind.api_version else
                           "the kind in the data (%s) does not match the expected kind (%s)" % (k, kind.kind))
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if isinstance(meta, dict):
            if kind.namespaced:
                if meta.get("namespace") and meta["namespace"] != ns:
                    raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the "
                                   "namespace sent on the request")
                meta["namespace"] = ns
            else:
                meta.pop("namespace", None)
            if name is not None and meta.get("name") and meta["name"] != name:
                raise ApiError(400, "BadRequest", "the name of the object (%s) does not match the name on the URL "
                               "(%s)" % (meta["name"], name))
            if name is not None and not meta.get("name"):
                meta["name"] = name
        obj["apiVersion"] = kind.api_version
        obj["kind"] = kind.kind
        return obj

    def _prepare(self, kind, obj, strict, creating, sub=None):
        obj, warnings = check(kind, obj, strict, creating=creating, subresource=sub)
        if kind.plural == "namespaces":
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}
            labels = obj["metadata"].setdefault("labels", {})
            labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        return obj, warnings

    def _dry(self, req):
        return req.param("dryRun") == "All"

    # ---- verbs -----------------------------------------------------------------------------------
    def _list(self, req, kind, ns):
        if kind.kuscia and not req.param("labelSelector") and not req.param("fieldSelector") and \
                "as=Table" not in req.headers.get("accept", ""):
            # the same bytes as json.dumps of the decoded list: each stored text is such a dump
            items = self.store.list_raw(kind.plural, ns)
            rv = self.store.resource_version()
            head = json.dumps({"apiVersion": kind.api_version, "kind": kind.kind + "List",
                               "metadata": {"resourceVersion": rv}, "items": []}, separators=(",", ":"))
            body = head[:-2] + ",".join(data for _, data in items) + head[-2:]
            return Response(200, body.encode())
        try:
            items = self.store.list(kind.plural, ns, req.param("labelSelector") or None,
                                    req.param("fieldSelector") or None)
        except ValueError as e:
            raise ApiError(400, "BadRequest", "unable to parse requirement: %s" % e)
        rv = self.store.resource_version()
        if "as=Table" in req.headers.get("accept", ""):
            return Response(200, self._table(kind, items, req))
        if not kind.kuscia:
            for it in items:
                it.pop("apiVersion", None)
                it.pop("kind", None)
        return Response(200, {"apiVersion": kind.api_version, "kind": kind.kind + "List",
                              "metadata": {"resourceVersion": rv}, "items": items})

    def _watch(self, req, kind, ns):
        from .store import parse_field_selector, parse_selector, selector_matches
        try:
            reqs = parse_selector(req.param("labelSelector") or None)
            freqs = parse_field_selector(req.param("fieldSelector") or None)
        except ValueError as e:
            raise ApiError(400, "BadRequest", "unable to parse requirement: %s" % e)
        try:
            timeout = float(req.param("timeoutSeconds") or 1800)
        except ValueError:
            timeout = 1800.0
        rv = req.param("resourceVersion") or ""
        table = "as=Table" in req.headers.get("accept", "")

        def match(obj):
            m = obj.get("metadata", {})
            if obj.get("kind") != kind.kind or (ns and kind.namespaced and m.get("namespace") != ns):
                return False
            if reqs and not selector_matches(reqs, m.get("labels")):
                return False
            for field, eq, val in freqs:
                if (m.get(field, "") == val) != eq:
                    return False
            return True

        if rv not in ("", "0"):
            try:
                since = int(rv)
            except ValueError:
                raise ApiError(400, "BadRequest", 'resourceVersion: Invalid value: "%s": must be a number' % rv)
            q, initial = self.watchers.register(since)
            base = since
        else:
            q, _ = self.watchers.register()
            base = int(self.store.resource_version())
            initial = [("ADDED", o) for o in self.store.list(kind.plural, ns)]

        def line(ev, obj):
            if not kind.kuscia and ev != "ERROR":
                obj = dict(obj)
            if table:
                obj = self._table(kind, [obj], req)
            return (json.dumps({"type": ev, "object": obj}, separators=(",", ":")) + "\n").encode()

        def gen():
            try:
                for ev, obj in initial:
                    if match(obj):
                        yield line(ev, obj)
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline and not self.node.stopping.is_set():
                    try:
                        ev, obj = q.get(timeout=max(0.01, min(1.0, deadline - time.monotonic())))
                    except queue.Empty:
                        yield None
                        continue
                    if _rv(obj) > base and match(obj):
                        yield line(ev, obj)
            finally:
                self.watchers.unregister(q)

        resp = Response(200, b"")
        resp.stream = gen()
        return resp

    def _columns(self, kind):
        name = {"name": "Name", "type": "string", "format": "name",
                "description": "Name must be unique within a namespace. Is required when creating resources, "
                               "although some resources may allow a client to request the generation of an "
                               "appropriate name automatically. Name is primarily intended for creation "
                               "idempotence and configuration definition. Cannot be updated. More info: "
                               "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
                "priority": 0}
        age = {"name": "Age", "type": "string", "format": "",
               "description": "CreationTimestamp is a timestamp representing the server time when this object was "
                              "created.", "priority": 0}
        if kind.plural == "namespaces":
            return [name, {"name": "Status", "type": "string", "format": "",
                           "description": "The status of the namespace", "priority": 0}, age]
        if kind.plural == "serviceaccounts":
            return [name, {"name": "Secrets", "type": "string", "format": "",
                           "description": "Secrets is a list of the secrets in the same namespace", "priority": 0},
                    age]
        if not kind.columns:
            return [name, dict(age, type="date")]
        return [name] + [{"name": n, "type": t, "format": "", "description": "", "priority": 0}
                         for n, t, _ in kind.columns]

    def _cells(self, kind, obj):
        meta = obj.get("metadata", {})
        if kind.plural == "namespaces":
            return [meta.get("name"), (obj.get("status") or {}).get("phase", ""), _age(meta.get("creationTimestamp"))]
        if kind.plural == "serviceaccounts":
            return [meta.get("name"), len(obj.get("secrets") or []), _age(meta.get("creationTimestamp"))]
        if not kind.columns:
            return [meta.get("name"), _age(meta.get("creationTimestamp"))]
        cells = [meta.get("name")]
        for _, t, jp in kind.columns:
            vals = jsonpath(obj, jp)
            if not vals:
                cells.append(None)
            elif t == "date":
                cells.append(_age(vals[0]))
            else:
                v = vals[0]
                cells.append(v if isinstance(v, (str, int, float, bool)) else json.dumps(v))
        return cells

    def _table(self, kind, items, req):
        include = req.param("includeObject", "Metadata")
        rows = []
        for obj in items:
            if include == "Object":
                o = obj
            elif include == "None":
                o = None
            else:
                o = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
            row = {"cells": self._cells(kind, obj)}
            if o is not None:
                row["object"] = o
            rows.append(row)
        return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"resourceVersion": self.store.resource_version()},
                "columnDefinitions": self._columns(kind), "rows": rows}

    def _create(self, req, kind, ns):
        if kind.namespaced and ns is None:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                           {})
        strict = self._validation(req)
        obj = self._check_identity(kind, self._body(req, kind=kind), ns)
        meta = obj["metadata"]
        if isinstance(meta, dict) and not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(random.choice("bcdfghjklmnpqrstvwxz2456789")
                                                          for _ in range(5))
        obj, warnings = self._prepare(kind, obj, strict, True)
        if kind.status and kind.plural != "namespaces":
            obj.pop("status", None)
        for f in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink"):
            obj["metadata"].pop(f, None)
        P.record_update(None, obj, self._manager(req), kind.api_version)
        if self._dry(req):
            cur = self.store.get(kind.plural, ns or "", obj["metadata"]["name"])
            if cur is not None:
                raise already_exists(kind, obj["metadata"]["name"])
            obj["metadata"]["creationTimestamp"] = now_rfc3339()
            obj["metadata"]["uid"] = str(uuid.uuid4())
            return self._out(req, kind, obj, 201, warnings)
        created = self.store.create(obj, raw=True)
        self._after_create(kind, obj["metadata"]["name"])
        return self._out_raw(req, kind, created, 201, warnings)

    def _after_create(self, kind, name):
        if kind.plural == "namespaces":
            if self.store.get("serviceaccounts", name, "default") is None:
                try:
                    self.store.create({"apiVersion": "v1", "kind": "ServiceAccount",
                                       "metadata": {"name": "default", "namespace": name}})
                except ApiError:
                    pass

    def _store_update(self, req, kind, ns, name, old, new, sub, strict, warnings=()):
        """Write `new` (a full object) as the main resource or the status subresource."""
        if sub == "status":
            status = new.get("status")
            obj = json.loads(json.dumps(old))
            if status is None:
                obj.pop("status", None)
            else:
                obj["status"] = status
            obj, w = check(kind, obj, strict, subresource="status")
            if kind.plural == "namespaces":
                obj["status"] = dict(obj.get("status") or {}, phase=(obj.get("status") or {}).get("phase", "Active"))
            if self._dry(req):
                return self._out(req, kind, obj, 200, w)
            rv = (new.get("metadata") or {}).get("resourceVersion")
            res = self.store.update_status(kind.plural, ns or "", name, obj.get("status"), rv)
            return self._out(req, kind, res, 200, list(warnings) + w)
        new, w = self._prepare(kind, new, strict, False)
        if kind.status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        if self._dry(req):
            return self._out(req, kind, new, 200, w)
        res = self.store.update(new, raw=True)
        return self._out_raw(req, kind, res, 200, list(warnings) + w)

    def _update(self, req, kind, ns, name, sub):
        strict = self._validation(req)
        new = self._check_identity(kind, self._body(req, kind=kind), ns, name)
        old = self.store.get(kind.plural, ns or "", name)
        if old is None:
            raise not_found(kind, name)
        meta = new.get("metadata") if isinstance(new.get("metadata"), dict) else {}
        if kind.kuscia and not meta.get("resourceVersion"):
            raise invalid(kind, name, [("FieldValueInvalid", "metadata.resourceVersion",
                                        "Invalid value: 0x0: must be specified for an update")])
        if sub != "status":
            P.record_update(old, new, self._manager(req), kind.api_version)
        return self._store_update(req, kind, ns, name, old, new, sub, strict)

    def _patch(self, req, kind, ns, name, sub):
        ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in PATCH_TYPES or ctype == "application/apply-patch+cbor" or \
                (ctype == "application/strategic-merge-patch+json" and kind.kuscia):
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted "
                           "media types include: application/json-patch+json, application/merge-patch+json, "
                           "application/apply-patch+yaml" + ("" if kind.kuscia else
                                                             ", application/strategic-merge-patch+json"))
        strict = self._validation(req)
        old = self.store.get(kind.plural, ns or "", name)
        if ctype == "application/apply-patch+yaml":
            return self._apply(req, kind, ns, name, sub, old, strict)
        if old is None:
            raise not_found(kind, name)
        body = self._body(req)
        if ctype == "application/json-patch+json":
            new = P.json_patch(old, body)
        elif ctype == "application/merge-patch+json":
            if not isinstance(body, dict):
                raise ApiError(400, "BadRequest", "the server rejected our request due to an error in our request")
            new = P.merge_patch(old, body)
        else:
            new = P.strategic_merge_patch(old, body)
        new = self._check_identity(kind, new, ns, name)
        if new["metadata"].get("resourceVersion") == old["metadata"].get("resourceVersion"):
            new["metadata"].pop("resourceVersion", None)
        if sub != "status":
            P.record_update(old, new, self._manager(req), kind.api_version)
        return self._store_update(req, kind, ns, name, old, new, sub, strict)

    def _apply(self, req, kind, ns, name, sub, old, strict):
        manager = req.param("fieldManager")
        if not manager:
            raise ApiError(400, "BadRequest", "PATCH %s: fieldManager is required for apply requests" % req.path)
        force = req.param("force", "false").lower() == "true"
        cfg = self._check_identity(kind, self._body(req, yaml_ok=True, kind=kind), ns, name)
        # check the applied configuration on its own first: unknown fields and types are its errors
        cfg_checked, warnings = check(kind, cfg, strict, creating=old is None,
                                      subresource=sub, partial=True)
        if strict != "Strict":
            cfg = cfg_checked
        cfg = drop_nulls(cfg)
        if sub == "status":
            if old is None:
                raise not_found(kind, name)
            new = P.apply(old, {"apiVersion": cfg["apiVersion"], "kind": cfg["kind"],
                                "metadata": {"name": name}, "status": cfg.get("status", {})},
                          manager, force, kind.api_version, kind.api_version)
            return self._store_update(req, kind, ns, name, old, new, sub, strict, warnings)
        if kind.status:
            cfg.pop("status", None)
        new = P.apply(old, cfg, manager, force, kind.api_version, kind.api_version)
        new["apiVersion"], new["kind"] = kind.api_version, kind.kind
        if old is None:
            new, w = self._prepare(kind, new, strict, True)
            if kind.status and kind.plural != "namespaces":
                new.pop("status", None)
            if self._dry(req):
                return self._out(req, kind, new, 201, warnings)
            created = self.store.create(new, raw=True)
            self._after_create(kind, new["metadata"]["name"])
            return self._out_raw(req, kind, created, 201, warnings)
        new["metadata"].pop("resourceVersion", None)
        rv = (cfg.get("metadata") or {}).get("resourceVersion")
        if rv:
            new["metadata"]["resourceVersion"] = rv
        return self._store_update(req, kind, ns, name, old, new, None, strict, warnings)

    def _delete_opts(self, req):
        if not req.body:
            return {}
        try:
            o = json.loads(req.body)
            return o if isinstance(o, dict) else {}
        except ValueError:
            raise ApiError(400, "BadRequest", "the server rejected our request due to an error in our request")

    def _delete(self, req, kind, ns, name):
        opts = self._delete_opts(req)
        pre = opts.get("preconditions") or {}
        obj = self.store.get(kind.plural, ns or "", name)
        if obj is None:
            raise not_found(kind, name)
        if self._dry(req) or "All" in (opts.get("dryRun") or []):
            return self._out(req, kind, obj)
        res = self.store.delete(kind.plural, ns or "", name, pre.get("resourceVersion"), pre.get("uid"))
        if kind.plural == "namespaces":
            res["status"] = {"phase": "Terminating"}
            res["metadata"]["deletionTimestamp"] = now_rfc3339()
            return Response(200, res)
        return Response(200, res)

    def _delete_collection(self, req, kind, ns):
        try:
            items = self.store.list(kind.plural, ns, req.param("labelSelector") or None,
                                    req.param("fieldSelector") or None)
        except ValueError as e:
            raise ApiError(400, "BadRequest", "unable to parse requirement: %s" % e)
        out = []
        for it in items:
            m = it["metadata"]
            try:
                out.append(self.store.delete(kind.plural, m.get("namespace", ""), m["name"]))
            except ApiError:
                pass
        return Response(200, {"apiVersion": kind.api_version, "kind": kind.kind + "List",
                              "metadata": {"resourceVersion": self.store.resource_version()}, "items": out})

    def _token_request(self, req, ns, name):
        body = self._body(req)
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the server rejected our request due to an error in our request")
        spec = body.get("spec") or {}
        seconds = spec.get("expirationSeconds") or 3600
        if not isinstance(seconds, int) or seconds < 600:
            raise ApiError(422, "Invalid", 'TokenRequest.authentication.k8s.io "%s" is invalid: '
                           'spec.expirationSeconds: Invalid value: %s: may not specify a duration less than 10 '
                           'minutes' % (name, json.dumps(seconds)),
                           {"name": name, "group": "authentication.k8s.io", "kind": "TokenRequest", "causes": [
                               {"reason": "FieldValueInvalid", "message": "Invalid value: %s: may not specify a "
                                "duration less than 10 minutes" % json.dumps(seconds),
                                "field": "spec.expirationSeconds"}]})
        auds = spec.get("audiences") or [ISSUER, "k3s"]
        token, exp = self.mint_token(ns, name, seconds, auds)
        expts = datetime.datetime.fromtimestamp(exp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out = {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
               "metadata": {"name": name, "namespace": ns, "creationTimestamp": now_rfc3339()},
               "spec": {"audiences": auds, "expirationSeconds": seconds,
                        "boundObjectRef": spec.get("boundObjectRef")},
               "status": {"token": token, "expirationTimestamp": expts}}
        return Response(201, out)


def make_handler(node):
    api = K8sApi(node)
    node.k8s = api
    return api.handle
