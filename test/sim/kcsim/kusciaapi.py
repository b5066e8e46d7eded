"""KusciaAPI over HTTP of a simulated Kuscia node (spec/kusciaapi.md).

make_handler(node) -> handler(Request) -> Response. TLS and the client certificate are the
listener's business (S1's node.py: MTLS requires a client cert chaining to ca.crt, TLS asks
for none, NOTLS is plain HTTP); this module checks the `Token` header (read once, at start,
from var/certs/token; not checked with NOTLS), routes POST requests, decodes bodies the way
protojson does (snake_case and lowerCamel names, unknown fields dropped, 64-bit integers as
numbers or strings) and answers upstream's envelope with its error codes.
"""

import base64
import json
import os
import re
import threading
import time
import uuid

from . import gw_keys as K

try:
    from .httpserver import Response
except ImportError:  # pragma: no cover - the self-test installs a stand-in
    Response = None

try:
    from .store import ApiError
except ImportError:  # pragma: no cover
    class ApiError(Exception):
        def __init__(self, code, reason, message):
            super().__init__(message)
            self.code, self.reason, self.message = code, reason, message

GROUP = "kuscia.secretflow"
API_VERSION = "kuscia.secretflow/v1alpha1"
NAME_RE = r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$"
JOB_RE = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
JSON_CT = "application/json; charset=utf-8"

# error codes (proto/api/v1alpha1/errorcode/error_code.proto)
SUCCESS = 0
VALIDATE = 11100
UNEXPECTED = 11101
JOB_CREATE, JOB_QUERY, JOB_QUERY_STATUS = 11201, 11202, 11203
DOMAIN_QUERY, DOMAIN_BATCH, DOMAIN_NOT_EXISTS = 11301, 11302, 11305
ROUTE_CREATE, ROUTE_QUERY, ROUTE_STATUS, ROUTE_DELETE, ROUTE_NOT_EXISTS, ROUTE_EXISTS = \
    11400, 11401, 11402, 11403, 11404, 11405
DD_CREATE, DD_DELETE, DD_GET, DD_LIST, DD_NOT_EXISTS, DD_EXISTS = 11500, 11501, 11502, 11503, 11506, 11507
DDG_CREATE, DDG_UPDATE, DDG_QUERY, DDG_DELETE, DDG_EXISTS, DDG_NOT_EXISTS = \
    11700, 11701, 11702, 11703, 11704, 11705
DDS_QUERY, DDS_NOT_EXISTS = 11802, 11806


class Fail(Exception):
    """A service-level error: the full envelope with CODE and MESSAGE."""

    def __init__(self, code, message, minimal=False, details=None):
        super().__init__(message)
        self.code, self.message, self.minimal, self.details = code, message, minimal, details or []


class ParseError(Exception):
    pass


# --- protojson-like decoding ----------------------------------------------------------------

def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


STR, I32, I64, BOOL, FLOAT = "string", "int32", "int64", "bool", "float"


def _enum(*names):
    return ("enum", names)


def _map(v=STR):
    return ("map", v)


def _list(t):
    return ("list", t)


def decode(obj, schema, where="request"):
    """A dict with the schema's snake_case names; unknown fields dropped (DiscardUnknown)."""
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise ParseError("proto: syntax error: unexpected token %s in %s" % (json.dumps(obj)[:40], where))
    out = {}
    for key, val in obj.items():
        name = key if key in schema else None
        if name is None:
            for f in schema:
                if _camel(f) == key:
                    name = f
                    break
        if name is None:
            continue
        if val is None:
            continue
        out[name] = _value(val, schema[name], name)
    return out


def _value(val, t, name):
    if isinstance(t, dict):
        return decode(val, t, name)
    if isinstance(t, tuple):
        if t[0] == "list":
            if not isinstance(val, list):
                raise ParseError('proto: invalid value for repeated field %s: %s' % (name, json.dumps(val)[:40]))
            return [_value(v, t[1], name) for v in val]
        if t[0] == "map":
            if not isinstance(val, dict):
                raise ParseError('proto: invalid value for map field %s: %s' % (name, json.dumps(val)[:40]))
            return {str(k): _value(v, t[1], name) for k, v in val.items()}
        if t[0] == "enum":
            if isinstance(val, str) and val in t[1]:
                return val
            if isinstance(val, int) and not isinstance(val, bool) and 0 <= val < len(t[1]):
                return t[1][val]
            raise ParseError('proto: invalid value for enum field %s: %s' % (name, json.dumps(val)))
    if t == STR:
        if not isinstance(val, str):
            raise ParseError("proto: invalid value for string field %s: %s" % (name, json.dumps(val)[:40]))
        return val
    if t == BOOL:
        if not isinstance(val, bool):
            raise ParseError("proto: invalid value for bool field %s: %s" % (name, json.dumps(val)[:40]))
        return val
    if t in (I32, I64):
        if isinstance(val, bool):
            raise ParseError("proto: invalid value for %s field %s: %s" % (t, name, json.dumps(val)))
        if isinstance(val, str):
            try:
                val = int(val.strip()) if val.strip().lstrip("-").isdigit() else float(val)
            except ValueError:
                raise ParseError("proto: invalid value for %s field %s: %s" % (t, name, json.dumps(val)))
        if isinstance(val, float):
            if val != int(val):
                raise ParseError("proto: invalid value for %s field %s: %s" % (t, name, val))
            val = int(val)
        if not isinstance(val, int):
            raise ParseError("proto: invalid value for %s field %s: %s" % (t, name, json.dumps(val)[:40]))
        return val
    if t == FLOAT:
        if isinstance(val, bool) or not isinstance(val, (int, float, str)):
            raise ParseError("proto: invalid value for float field %s" % name)
        return float(val)
    return val


HEADER = {"custom_headers": _map()}
GRANT_LIMIT = {"expiration_time": I64, "use_count": I32, "flow_id": STR, "components": _list(STR),
               "initiator": STR, "input_config": STR}
GRANT_REQ = {"header": HEADER, "domaindatagrant_id": STR, "domaindata_id": STR, "grant_domain": STR,
             "limit": GRANT_LIMIT, "description": _map(), "signature": STR, "domain_id": STR}
GRANT_KEY = {"header": HEADER, "domain_id": STR, "domaindatagrant_id": STR}
GRANT_BATCH = {"header": HEADER, "data": _list({"domain_id": STR, "domaindatagrant_id": STR})}
GRANT_LIST = {"header": HEADER, "data": {"domain_id": STR, "grant_domain": STR, "domaindata_vendor": STR}}
COLUMN = {"name": STR, "type": STR, "comment": STR, "not_nullable": BOOL}
FILE_FORMATS = ("UNKNOWN", "CSV", "BINARY")
DD_REQ = {"header": HEADER, "domaindata_id": STR, "name": STR, "type": STR, "relative_uri": STR,
          "domain_id": STR, "datasource_id": STR, "attributes": _map(),
          "partition": {"type": STR, "fields": _list(COLUMN)}, "columns": _list(COLUMN), "vendor": STR,
          "file_format": _enum(*FILE_FORMATS)}
DD_KEY = {"domain_id": STR, "domaindata_id": STR}
DD_QUERY = {"header": HEADER, "data": DD_KEY}
DD_DELETE = {"header": HEADER, "domain_id": STR, "domaindata_id": STR}
DD_BATCH = {"header": HEADER, "data": _list(DD_KEY)}
DD_LIST = {"header": HEADER, "data": {"domain_id": STR, "domaindata_type": STR, "domaindata_vendor": STR}}
DOMAIN_Q = {"header": HEADER, "domain_id": STR}
DOMAIN_BQ = {"header": HEADER, "domain_ids": _list(STR)}
ROUTE_KEY = {"header": HEADER, "source": STR, "destination": STR}
ROUTE_BQ = {"header": HEADER, "route_keys": _list({"source": STR, "destination": STR})}
PORT = {"name": STR, "port": I32, "protocol": STR, "isTLS": BOOL, "path_prefix": STR}
ROUTE_REQ = {"header": HEADER, "authentication_type": STR, "destination": STR,
             "endpoint": {"host": STR, "ports": _list(PORT)}, "source": STR,
             "token_config": {"destination_public_key": STR, "rolling_update_period": I64,
                              "source_public_key": STR, "token_gen_method": STR},
             "mtls_config": {"tls_ca": STR, "source_client_private_key": STR, "source_client_cert": STR},
             "transit": {"transit_method": STR, "domain": {"domain_id": STR}},
             "body_encryption": {"algorithm": STR}}
PARTY = {"domain_id": STR, "role": STR, "resources": {"cpu": STR, "memory": STR, "bandwidth": STR},
         "bandwidth_limits": _list({"destination_id": STR, "limit_kbps": I64})}
TASK = {"app_image": STR, "parties": _list(PARTY), "alias": STR, "task_id": STR,
        "dependencies": _list(STR), "task_input_config": STR, "priority": I32, "tolerable": BOOL,
        "schedule_config": {"task_timeout_seconds": I32, "resource_reserved_seconds": I32,
                            "resource_reallocation_interval_seconds": I32}}
JOB_REQ = {"header": HEADER, "job_id": STR, "initiator": STR, "max_parallelism": I32, "tasks": _list(TASK),
           "custom_fields": _map()}
JOB_Q = {"header": HEADER, "job_id": STR}
JOB_BQ = {"header": HEADER, "job_ids": _list(STR)}
EMPTY = {"header": HEADER}


# --- helpers --------------------------------------------------------------------------------

def _ok(data=None, has_data=True):
    out = {"status": {"code": SUCCESS, "message": "success", "details": []}}
    if has_data:
        out["data"] = data
    return out


def _regex_check(field, value, regex=NAME_RE):
    if not re.match(regex, value or ""):
        raise Fail(VALIDATE, 'Field "%s" is invalid, invalid value: "%s": regex used for validation is "%s" '
                   % (field, value or "", regex))


def _k8s(e, not_found=None, exists=None, default=None, ns_missing=None):
    """Map a store error to a Fail (upstream's mapping rule, kusciaapi.md §5)."""
    if isinstance(e, ApiError):
        reason = getattr(e, "reason", "")
        msg = getattr(e, "message", str(e))
        if reason == "NotFound":
            if ns_missing is not None and str(msg).startswith("namespaces "):
                return Fail(ns_missing, msg)
            return Fail(not_found if not_found is not None else default, msg)
        if reason == "AlreadyExists" and exists is not None:
            return Fail(exists, msg)
        return Fail(default, msg)
    return Fail(default, str(e))


def _nf(plural, name):
    return '%s.%s "%s" not found' % (plural, GROUP, name)


def _ns_ts(s):
    """RFC 3339 -> Unix nanoseconds as a string (protojson int64); '0' when unset."""
    t = K.parse_time(s)
    return str(int(round(t * 1e9))) if t is not None else "0"


# --- the API --------------------------------------------------------------------------------

def make_handler(node):
    return _KusciaAPI(node).handle


class _KusciaAPI:
    def __init__(self, node):
        self.node = node
        self.store = node.store
        self.domain = node.domain
        self.protocol = str(getattr(node, "protocol", "MTLS") or "MTLS").upper()
        self.token = None
        if self.protocol != "NOTLS":
            try:
                with open(self._path("var/certs/token"), "rb") as f:
                    self.token = f.read().decode("utf-8", "replace")
            except OSError:
                self.token = None  # every request is refused, as with a token nobody knows
        self.started = time.time()
        self.log_lock = threading.Lock()
        self.routes = {
            "/healthZ": (EMPTY, self.health),
            "/api/v1/domaindatagrant/create": (GRANT_REQ, self.grant_create),
            "/api/v1/domaindatagrant/query": (GRANT_KEY, self.grant_query),
            "/api/v1/domaindatagrant/batchQuery": (GRANT_BATCH, self.grant_batch_query),
            "/api/v1/domaindatagrant/list": (GRANT_LIST, self.grant_list),
            "/api/v1/domaindatagrant/update": (GRANT_REQ, self.grant_update),
            "/api/v1/domaindatagrant/delete": (GRANT_KEY, self.grant_delete),
            "/api/v1/domaindata/create": (DD_REQ, self.dd_create),
            "/api/v1/domaindata/update": (DD_REQ, self.dd_update),
            "/api/v1/domaindata/query": (DD_QUERY, self.dd_query),
            "/api/v1/domaindata/delete": (DD_DELETE, self.dd_delete),
            "/api/v1/domaindata/batchQuery": (DD_BATCH, self.dd_batch_query),
            "/api/v1/domaindata/list": (DD_LIST, self.dd_list),
            "/api/v1/domain/query": (DOMAIN_Q, self.domain_query),
            "/api/v1/domain/batchQuery": (DOMAIN_BQ, self.domain_batch_query),
            "/api/v1/route/create": (ROUTE_REQ, self.route_create),
            "/api/v1/route/query": (ROUTE_KEY, self.route_query),
            "/api/v1/route/delete": (ROUTE_KEY, self.route_delete),
            "/api/v1/route/status/batchQuery": (ROUTE_BQ, self.route_batch_status),
            "/api/v1/job/create": (JOB_REQ, self.job_create),
            "/api/v1/job/query": (JOB_Q, self.job_query),
            "/api/v1/job/status/batchQuery": (JOB_BQ, self.job_batch_status),
        }

    def _path(self, rel):
        try:
            return str(self.node.path(rel))
        except Exception:
            return os.path.join(str(self.node.root), rel)

    def _audit(self, req, resp):
        """var/logs/kusciaapi.log: one line per request (upstream logs every request/response)."""
        try:
            line = "%s %s %s %d %s\n" % (K.fmt_time(), req.method, req.path, resp.status,
                                         (resp.body[:300] or b"").decode("utf-8", "replace").strip())
            with self.log_lock, open(self._path("var/logs/kusciaapi.log"), "a") as f:
                f.write(line)
        except OSError:
            pass

    def handle(self, req):
        resp = self._handle(req)
        self._audit(req, resp)
        return resp

    def _handle(self, req):
        if req.method == "GET" and req.path == "/probe":
            return Response(200, "ServiceName: KusciaAPI, Host: %s, Version: %s, Uptime: %s" % (
                K.instance_name(self.node), K.kuscia_version(self.node),
                "%.3fs" % (time.time() - self.started)), content_type="text/plain; charset=utf-8")
        if req.method == "GET" and req.path == "/version":
            return Response(200, K.kuscia_version(self.node), content_type="text/plain; charset=utf-8")
        if self.protocol != "NOTLS":
            if self.token is None or (req.headers.get("token") or "") != self.token:
                return Response(401, b"", content_type=None)
        route = self.routes.get(req.path)
        if route is None or req.method != "POST":
            return Response(404, b"404 page not found", content_type="text/plain")
        schema, fn = route
        try:
            msg = self._parse(req, schema)
        except ParseError as e:
            return self._json({"status": {"code": UNEXPECTED, "message": str(e)}})
        try:
            out = fn(msg)
        except Fail as f:
            if f.minimal:
                return self._json({"status": {"code": f.code, "message": f.message}})
            st = {"code": f.code, "message": f.message, "details": f.details}
            return self._json({"status": st, "data": None})
        except Exception as e:  # a panic: recovered into 11101
            K.log(self.node, "ERROR", "kusciaapi %s: %r" % (req.path, e))
            return self._json({"status": {"code": UNEXPECTED, "message": str(e)}})
        return self._json(out)

    @staticmethod
    def _json(obj):
        return Response(200, json.dumps(obj, separators=(",", ":")).encode(), content_type=JSON_CT)

    @staticmethod
    def _parse(req, schema):
        body = req.body or b""
        if not body.strip():
            raise ParseError("proto: syntax error (line 1:1): unexpected token ;unexpected end of JSON input")
        try:
            obj = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ParseError("proto: invalid UTF-8 in string;invalid character looking for beginning of value")
        except json.JSONDecodeError as e:
            text = body.decode("utf-8")
            if e.pos >= len(text.rstrip()):
                raise ParseError("proto: syntax error (line %d:%d): unexpected token ;unexpected end of JSON "
                                 "input" % (e.lineno, e.colno))
            ch = text[e.pos]
            raise ParseError("proto: syntax error (line %d:%d): invalid value %s;invalid character %s looking "
                             "for beginning of value" % (e.lineno, e.colno, ch, json.dumps(ch).replace('"', "'")))
        return decode(obj, schema)

    # --- health -------------------------------------------------------------------------------
    def health(self, msg):
        return _ok({"ready": True})

    # --- DomainDataGrant ------------------------------------------------------------------------
    def grant_create(self, m):
        dom, ddid, grant = m.get("domain_id", ""), m.get("domaindata_id", ""), m.get("grant_domain", "")
        gid = m.get("domaindatagrant_id", "")
        if not grant:
            raise Fail(VALIDATE, "grantdomain can't be null")
        if grant == dom:
            raise Fail(VALIDATE, "grantdomain can't be self")
        if not ddid:
            raise Fail(VALIDATE, "domaindata can't be null")
        _regex_check("domain_id", dom)
        _regex_check("domaindata_id", ddid)
        if gid:
            _regex_check("domaindatagrant_id", gid)
        try:
            dd = self.store.get("domaindatas", dom, ddid)
        except Exception:
            dd = None
        if dd is None:
            raise Fail(VALIDATE, "domaindata [%s] not exists" % ddid)
        if gid:
            if self.store.get("domaindatagrants", dom, gid) is not None:
                raise Fail(DDG_CREATE, "CreateDomainDataGrant failed, because domaindatagrant %s is exist" % gid)
        else:
            gid = "domaindatagrant-" + uuid.uuid4().hex
        obj = {"apiVersion": API_VERSION, "kind": "DomainDataGrant",
               "metadata": {"name": gid, "namespace": dom,
                            "labels": {"kuscia.secretflow/domaindatagrant-domain": grant},
                            "ownerReferences": [_owner(dd)]},
               "spec": self._grant_spec(m, dom, ddid, grant)}
        try:
            self.store.create(obj)
        except Exception as e:
            raise _k8s(e, not_found=DOMAIN_NOT_EXISTS, exists=DDG_EXISTS, default=DDG_CREATE)
        self._grant_ready(dom, gid)
        return _ok({"domaindatagrant_id": gid})

    @staticmethod
    def _grant_spec(m, dom, ddid, grant):
        spec = {"author": dom, "domainDataID": ddid, "grantDomain": grant}
        if m.get("signature"):
            spec["signature"] = m["signature"]
        if m.get("description"):
            spec["description"] = dict(m["description"])
        lim = m.get("limit")
        if lim is not None:
            out = {"grantMode": ["normal"]}
            if lim.get("flow_id"):
                out["flowID"] = lim["flow_id"]
            if lim.get("use_count"):
                out["useCount"] = lim["use_count"]
            if lim.get("initiator"):
                out["initiator"] = lim["initiator"]
            if lim.get("input_config"):
                out["inputConfig"] = lim["input_config"]
            if lim.get("components"):
                out["components"] = list(lim["components"])
            if (lim.get("expiration_time") or 0) > 0:
                out["expirationTime"] = K.fmt_time(lim["expiration_time"] / 1e9)
            spec["limit"] = out
        return spec

    def _grant_ready(self, ns, name):
        """What the DomainDataGrant controller does next: phase Ready."""
        try:
            self.store.update_status("domaindatagrants", ns, name, {"phase": "Ready", "message": ""})
        except Exception:
            pass

    @staticmethod
    def _grant_view(obj):
        spec = obj.get("spec") or {}
        st = obj.get("status") or {}
        lim = spec.get("limit")
        limit = None
        if lim is not None:
            limit = {"expiration_time": _ns_ts(lim.get("expirationTime")),
                     "use_count": int(lim.get("useCount") or 0), "flow_id": lim.get("flowID") or "",
                     "components": list(lim.get("components") or []), "initiator": "",
                     "input_config": lim.get("inputConfig") or ""}
        records = [{"use_time": _ns_ts(r.get("useTime")), "grant_domain": r.get("grantDomain") or "",
                    "component": r.get("component") or "", "output": r.get("output") or ""}
                   for r in st.get("useRecords") or []]
        return {"data": {"domaindatagrant_id": obj["metadata"]["name"], "author": spec.get("author") or "",
                         "domaindata_id": spec.get("domainDataID") or "",
                         "grant_domain": spec.get("grantDomain") or "", "limit": limit, "description": {},
                         "signature": "", "domain_id": ""},
                "status": {"phase": st.get("phase") or "", "message": st.get("message") or "",
                           "records": records}}

    def _grant_get(self, dom, gid, default):
        if not gid:
            raise Fail(default, "resource name may not be empty")
        if not dom:
            raise Fail(default, "an empty namespace may not be set when a resource name is provided")
        obj = self.store.get("domaindatagrants", dom, gid)
        if obj is None:
            raise Fail(DDG_NOT_EXISTS, _nf("domaindatagrants", gid))
        return obj

    def grant_query(self, m):
        obj = self._grant_get(m.get("domain_id", ""), m.get("domaindatagrant_id", ""), DDG_QUERY)
        return _ok(self._grant_view(obj))

    def grant_batch_query(self, m):
        keys = m.get("data") or []
        if not keys:
            raise Fail(VALIDATE, "BatchQueryDomainDataGrant.data can't be null")
        out, details, empty, errors = [], [], 0, 0
        for k in keys:
            try:
                out.append(self._grant_view(self._grant_get(k.get("domain_id", ""),
                                                            k.get("domaindatagrant_id", ""), DDG_QUERY)))
            except Fail as f:
                if f.code == DDG_NOT_EXISTS:
                    empty += 1
                else:
                    errors += 1
                details.append({"@type": "type.googleapis.com/kuscia.proto.api.v1alpha1.Status",
                                "code": f.code, "message": f.message, "details": []})
        if details:
            return {"status": {"code": DDG_QUERY, "message": "BatchQuery has error. Empty/Error/Total(%d/%d/%d)"
                               % (empty, errors, len(keys)), "details": details}, "data": out}
        return _ok(out)

    def grant_list(self, m):
        d = m.get("data") or {}
        dom = d.get("domain_id", "")
        if not dom:
            raise Fail(VALIDATE, "domain id can not be empty")
        # upstream selects on the grant's own labels (a vendor label create never sets)
        reqs = []
        if d.get("domaindata_vendor"):
            reqs.append("kuscia.secretflow/domaindatagrant-vendor=%s" % d["domaindata_vendor"])
        if d.get("grant_domain"):
            reqs.append("kuscia.secretflow/domaindatagrant-domain=%s" % d["grant_domain"])
        try:
            items = self.store.list("domaindatagrants", dom, ",".join(reqs) or None)
        except Exception as e:
            raise _k8s(e, default=DD_LIST)
        return _ok({"domaindatagrant_list": [self._grant_view(g) for g in items]})

    def grant_update(self, m):
        dom, ddid, grant = m.get("domain_id", ""), m.get("domaindata_id", ""), m.get("grant_domain", "")
        gid = m.get("domaindatagrant_id", "")
        if not ddid:
            raise Fail(VALIDATE, "domaindataid can't be null")
        dd = self.store.get("domaindatas", dom, ddid) if dom else None
        if dd is None:
            raise Fail(VALIDATE, "domaindata can't be found")
        if not grant:
            raise Fail(VALIDATE, "grantdomain can't be null")
        if not gid:
            raise Fail(VALIDATE, "grantdomainid can't be null")
        cur = self.store.get("domaindatagrants", dom, gid)
        if cur is None:
            raise Fail(DDG_NOT_EXISTS, _nf("domaindatagrants", gid))
        if (cur.get("spec") or {}).get("domainDataID") != ddid:
            raise Fail(VALIDATE, "domaindataid can't be changed.")
        refs = list((cur.get("metadata") or {}).get("ownerReferences") or [])
        refs.append(_owner(dd))
        ctl = [r for r in refs if r.get("controller")]
        if len(ctl) > 1:  # upstream appends a second controller reference: the apiserver refuses
            names = " and ".join("%s/%s" % (r.get("kind"), r.get("name")) for r in ctl)
            raise Fail(DDG_UPDATE, 'DomainDataGrant.kuscia.secretflow "%s" is invalid: metadata.ownerReferences: '
                       'Invalid value: []v1.OwnerReference{...}: Only one reference can have Controller set to '
                       'true. Found "true" in references for %s' % (gid, names))
        cur["metadata"]["ownerReferences"] = refs
        labels = cur["metadata"].setdefault("labels", {}) or {}
        labels["kuscia.secretflow/domaindatagrant-domain"] = grant
        cur["metadata"]["labels"] = labels
        cur["spec"] = self._grant_spec(m, dom, ddid, grant)
        try:
            self.store.update(cur)
        except Exception as e:
            raise _k8s(e, not_found=DDG_NOT_EXISTS, exists=DDG_EXISTS, default=DDG_UPDATE)
        return _ok(has_data=False)

    def grant_delete(self, m):
        dom, gid = m.get("domain_id", ""), m.get("domaindatagrant_id", "")
        if not gid or not dom:
            raise Fail(DDG_DELETE, "resource name may not be empty" if not gid else
                       "an empty namespace may not be set when a resource name is provided")
        try:
            self.store.delete("domaindatagrants", dom, gid)
        except Exception as e:
            raise _k8s(e, not_found=DDG_NOT_EXISTS, default=DDG_DELETE)
        return _ok(has_data=False)

    # --- DomainData ---------------------------------------------------------------------------
    def dd_create(self, m, must_exist=False):
        dom, typ, uri = m.get("domain_id", ""), m.get("type", ""), m.get("relative_uri", "")
        if not dom:
            raise Fail(VALIDATE, "request domain id can not be empty")
        _regex_check("domain_id", dom)
        if not typ:
            raise Fail(VALIDATE, "request type can not be empty")
        if not uri:
            raise Fail(VALIDATE, "request relative_uri can not be empty")
        ddid = m.get("domaindata_id", "")
        if ddid:
            _regex_check("domaindata_id", ddid)
        if uri.startswith("/"):
            uri = uri[1:]
        name = m.get("name") or uri.rstrip("/").split("/")[-1]
        ds = m.get("datasource_id") or "default-data-source"
        try:
            if self.store.get("domaindatasources", dom, ds) is None:
                raise Fail(DDS_NOT_EXISTS, "domain data source `%s` is not exists in domain `%s` " % (ds, dom))
        except Fail:
            raise
        except Exception as e:
            raise Fail(DDS_QUERY, str(e))
        if not ddid:
            ddid = _gen_dd_id(name)
        vendor = m.get("vendor") or "manual"
        spec = {"relativeURI": uri, "name": name, "type": typ, "dataSource": ds, "author": dom,
                "vendor": vendor}
        if m.get("attributes"):
            spec["attributes"] = dict(m["attributes"])
        if m.get("partition"):
            p = m["partition"]
            spec["partitions"] = {"type": p.get("type", ""), "fields": [_col_cr(c) for c in p.get("fields") or []]}
        if m.get("columns"):
            spec["columns"] = [_col_cr(c) for c in m["columns"]]
        ff = m.get("file_format")
        if ff and ff != "UNKNOWN":
            spec["fileFormat"] = ff.lower()
        labels = {"kuscia.secretflow/domaindata-type": typ, "kuscia.secretflow/domaindata-vendor": vendor,
                  "kuscia.secretflow/interconn-protocol-type": "kuscia"}
        cur = self.store.get("domaindatas", dom, ddid)
        try:
            if cur is None:
                if must_exist:
                    raise Fail(DD_NOT_EXISTS, _nf("domaindatas", ddid))
                self.store.create({"apiVersion": API_VERSION, "kind": "DomainData",
                                   "metadata": {"name": ddid, "namespace": dom, "labels": labels,
                                                "annotations": {"kuscia.secretflow/initiator": dom}},
                                   "spec": spec})
            else:
                meta = cur["metadata"]
                meta["labels"] = dict(meta.get("labels") or {}, **labels)
                meta["annotations"] = dict(meta.get("annotations") or {}, **{"kuscia.secretflow/initiator": dom})
                cur["spec"] = spec
                self.store.update(cur)
        except Fail:
            raise
        except Exception as e:
            raise _k8s(e, not_found=DOMAIN_NOT_EXISTS, exists=DD_EXISTS, default=DD_CREATE,
                       ns_missing=DOMAIN_NOT_EXISTS)
        return _ok({"domaindata_id": ddid})

    def dd_update(self, m):
        if not m.get("domaindata_id"):
            raise Fail(VALIDATE, "request domaindata id can not be empty")
        self.dd_create(m, must_exist=True)
        return _ok(has_data=False)

    @staticmethod
    def _dd_view(obj):
        spec = obj.get("spec") or {}
        part = spec.get("partitions")
        ff = (spec.get("fileFormat") or "").upper()
        return {"domaindata_id": obj["metadata"]["name"], "name": spec.get("name") or "",
                "type": spec.get("type") or "", "relative_uri": spec.get("relativeURI") or "",
                "domain_id": obj["metadata"].get("namespace") or "", "datasource_id": spec.get("dataSource") or "",
                "attributes": dict(spec.get("attributes") or {}),
                "partition": None if not part else {"type": part.get("type") or "",
                                                    "fields": [_col_api(c) for c in part.get("fields") or []]},
                "columns": [_col_api(c) for c in spec.get("columns") or []],
                "vendor": spec.get("vendor") or "", "status": "Available", "author": spec.get("author") or "",
                "file_format": ff if ff in FILE_FORMATS else "UNKNOWN"}

    def dd_query(self, m):
        d = m.get("data") or {}
        dom, ddid = d.get("domain_id", ""), d.get("domaindata_id", "")
        if not dom or not ddid:
            raise Fail(VALIDATE, "domain id and domaindata id can not be empty")
        obj = self.store.get("domaindatas", dom, ddid)
        if obj is None:
            raise Fail(DD_NOT_EXISTS, _nf("domaindatas", ddid))
        return _ok(self._dd_view(obj))

    def dd_delete(self, m):
        dom, ddid = m.get("domain_id", ""), m.get("domaindata_id", "")
        if not dom or not ddid:
            raise Fail(VALIDATE, "domain id and domaindata id can not be empty")
        try:
            self.store.delete("domaindatas", dom, ddid)
        except Exception as e:
            raise _k8s(e, not_found=DD_NOT_EXISTS, default=DD_DELETE)
        return _ok(has_data=False)

    def dd_batch_query(self, m):
        keys = m.get("data") or []
        if not keys:
            raise Fail(VALIDATE, "request data should not be nil", minimal=True)
        for k in keys:
            if not k.get("domain_id"):
                raise Fail(VALIDATE, "request domainID should not be empty", minimal=True)
            if not k.get("domaindata_id"):
                raise Fail(VALIDATE, "request domainDataID should not be empty", minimal=True)
        out = []
        for k in keys:
            obj = self.store.get("domaindatas", k["domain_id"], k["domaindata_id"])
            if obj is not None:
                out.append(self._dd_view(obj))
        return _ok({"domaindata_list": out})

    def dd_list(self, m):
        d = m.get("data")
        if not d:
            raise Fail(VALIDATE, "request data should not be nil", minimal=True)
        if not d.get("domain_id"):
            raise Fail(VALIDATE, "request domainID should not be empty", minimal=True)
        reqs = []
        if d.get("domaindata_type"):
            reqs.append("kuscia.secretflow/domaindata-type=%s" % d["domaindata_type"])
        if d.get("domaindata_vendor"):
            reqs.append("kuscia.secretflow/domaindata-vendor=%s" % d["domaindata_vendor"])
        try:
            items = self.store.list("domaindatas", d["domain_id"], ",".join(reqs) or None)
        except Exception as e:
            raise _k8s(e, default=DD_LIST)
        return _ok({"domaindata_list": [self._dd_view(o) for o in items]})

    # --- Domain -------------------------------------------------------------------------------
    def _master(self):
        try:
            with open(self._path("var/certs/ca.crt"), "rb") as f:
                cert = base64.b64encode(f.read()).decode()
        except OSError:
            cert = ""
        return cert

    @staticmethod
    def _domain_view(obj, full=True):
        spec = obj.get("spec") or {}
        st = obj.get("status") or {}
        nodes = [{"name": n.get("name") or "", "status": n.get("status") or "", "version": n.get("version") or "",
                  "last_heartbeat_time": n.get("lastHeartbeatTime") or "",
                  "last_transition_time": n.get("lastTransitionTime") or ""}
                 for n in st.get("nodeStatuses") or []]
        out = {"domain_id": obj["metadata"]["name"], "role": spec.get("role") or "", "cert": spec.get("cert") or "",
               "node_statuses": nodes}
        if not full:
            return out
        ac = spec.get("authCenter")
        out["deploy_token_statuses"] = [{"token": t.get("token") or "", "state": t.get("state") or "",
                                         "last_transition_time": t.get("lastTransitionTime") or ""}
                                        for t in st.get("deployTokenStatuses") or []]
        out["annotations"] = dict((obj.get("metadata") or {}).get("annotations") or {})
        out["auth_center"] = None if ac is None else {
            "authentication_type": ac.get("authenticationType") or "", "token_gen_method": ac.get("tokenGenMethod") or ""}
        out["master_domain_id"] = spec.get("master") or ""
        return out

    def domain_query(self, m):
        d = m.get("domain_id", "")
        if not d:
            raise Fail(VALIDATE, "domain id can not be empty")
        if d == "master":
            return _ok({"domain_id": "master", "role": "", "cert": self._master(), "node_statuses": [],
                        "deploy_token_statuses": [], "annotations": {}, "auth_center": None,
                        "master_domain_id": ""})
        obj = self.store.get("domains", "", d)
        if obj is None:
            raise Fail(DOMAIN_NOT_EXISTS, _nf("domains", d))
        return _ok(self._domain_view(obj))

    def domain_batch_query(self, m):
        ids = m.get("domain_ids") or []
        if not ids:
            raise Fail(VALIDATE, "domain ids can not be empty")
        for i, d in enumerate(ids):
            if not d:
                raise Fail(VALIDATE, "domain id can not be empty on index %d" % i)
        out = []
        for d in ids:
            if d == "master":
                out.append({"domain_id": "master", "role": "", "cert": self._master(), "node_statuses": []})
                continue
            obj = self.store.get("domains", "", d)
            if obj is None:
                raise Fail(DOMAIN_NOT_EXISTS, _nf("domains", d))
            out.append(self._domain_view(obj, full=False))
        return _ok({"domains": out})

    # --- routes -------------------------------------------------------------------------------
    @staticmethod
    def route_status(cdr):
        cond = None
        for c in (cdr.get("status") or {}).get("conditions") or []:
            if c.get("type") == "Ready":
                cond = c
        if cond is None:
            return {"status": "Failed", "reason": ""}
        if cond.get("status") == "True":
            return {"status": "Succeeded", "reason": ""}
        return {"status": "Failed", "reason": "LastUpdateAt=%s, Message=%s, Reason:%s" % (
            K.go_time_string(cond.get("lastUpdateTime")), cond.get("message") or "", cond.get("reason") or "")}

    def _route_key(self, k):
        if not k.get("source"):
            raise Fail(VALIDATE, "source can not be empty")
        if not k.get("destination"):
            raise Fail(VALIDATE, "destination can not be empty")
        return "%s-%s" % (k["source"], k["destination"])

    def route_query(self, m):
        name = self._route_key(m)
        cdr = self.store.get("clusterdomainroutes", "", name)
        if cdr is None:
            raise Fail(ROUTE_NOT_EXISTS, _nf("clusterdomainroutes", name))
        spec = cdr.get("spec") or {}
        ep = spec.get("endpoint") or {}
        tc = spec.get("tokenConfig") or {}
        mt = spec.get("mTLSConfig") or {}
        tr = spec.get("transit")
        be = spec.get("bodyEncryption")
        auth = spec.get("authenticationType") or ""
        data = {
            "name": name, "authentication_type": auth, "destination": spec.get("destination") or "",
            "endpoint": {"host": ep.get("host") or "", "ports": [
                {"name": p.get("name") or "", "port": int(p.get("port") or 0), "protocol": p.get("protocol") or "",
                 "isTLS": bool(p.get("isTLS")), "path_prefix": p.get("pathPrefix") or ""}
                for p in ep.get("ports") or []]},
            "source": spec.get("source") or "",
            "token_config": None if auth != "Token" else {
                "destination_public_key": tc.get("destinationPublicKey") or "",
                "rolling_update_period": str(int(tc.get("rollingUpdatePeriod") or 0)),
                "source_public_key": tc.get("sourcePublicKey") or "",
                "token_gen_method": tc.get("tokenGenMethod") or ""},
            "mtls_config": None if auth != "MTLS" else {
                "tls_ca": mt.get("tlsCA") or "", "source_client_private_key": mt.get("sourceClientPrivateKey") or "",
                "source_client_cert": mt.get("sourceClientCert") or ""},
            "status": self.route_status(cdr),
            "transit": None if not tr else {"transit_method": tr.get("transitMethod") or "",
                                            "domain": {"domain_id": (tr.get("domain") or {}).get("domainID") or ""}},
            "body_encryption": None if not be else {"algorithm": be.get("algorithm") or ""},
        }
        return _ok(data)

    def route_batch_status(self, m):
        keys = m.get("route_keys") or []
        if not keys:
            raise Fail(VALIDATE, "DomainRoute keys can not be empty")
        names = [self._route_key(k) for k in keys]
        out = []
        for k, name in zip(keys, names):
            cdr = self.store.get("clusterdomainroutes", "", name)
            if cdr is None:
                raise Fail(ROUTE_NOT_EXISTS, _nf("clusterdomainroutes", name))
            out.append({"name": name, "destination": k["destination"], "source": k["source"],
                        "status": self.route_status(cdr)})
        return _ok({"routes": out})

    def route_create(self, m):
        name = self._route_key(m)
        auth = m.get("authentication_type", "")
        if not auth:
            raise Fail(VALIDATE, "authentication type can not be empty")
        tr = m.get("transit")
        if not tr:
            if not m.get("endpoint"):
                raise Fail(VALIDATE, "endpoint can not be empty when transit is not set")
        else:
            if tr.get("transit_method") not in ("THIRD-DOMAIN", "REVERSE-TUNNEL"):
                raise Fail(VALIDATE, "tranist method is required and must be THIRD-DOMAIN or REVERSE-TUNNEL")
            if tr.get("transit_method") == "THIRD-DOMAIN" and not (tr.get("domain") or {}).get("domain_id"):
                raise Fail(VALIDATE, "transit domain id can not be empty when transit method is THIRD-DOMAIN")
        ports = []
        for p in (m.get("endpoint") or {}).get("ports") or []:
            port = int(p.get("port") or 0)
            if port <= 0 or port > 65535:
                raise Fail(VALIDATE, "endpoint port should be positive and less than or equal to 65535 ")
            proto = (p.get("protocol") or "").upper()
            if proto not in ("HTTP", "GRPC", "HTTPS", "GRPCS"):
                raise Fail(ROUTE_CREATE, "DomainRoute Port Protocol should be HTTP or HTTPS or GRPC or GRPCS")
            tls = bool(p.get("isTLS")) or proto in ("HTTPS", "GRPCS")
            out = {"name": p.get("name", ""), "port": port, "protocol": proto.rstrip("S") if proto.endswith("S")
                   else proto, "isTLS": tls}
            if p.get("path_prefix"):
                out["pathPrefix"] = p["path_prefix"]
            ports.append(out)
        for d in (m["source"], m["destination"]):
            if self.store.get("domains", "", d) is None:
                raise Fail(DOMAIN_NOT_EXISTS, _nf("domains", d))
        spec = {"source": m["source"], "destination": m["destination"],
                "authenticationType": auth if auth in ("Token", "MTLS", "None") else ""}
        if m.get("endpoint"):
            spec["endpoint"] = {"host": m["endpoint"].get("host", ""), "ports": ports}
        tc = m.get("token_config")
        if tc is None:
            spec["tokenConfig"] = {"tokenGenMethod": "RSA-GEN", "rollingUpdatePeriod": 0}
        else:
            if tc.get("token_gen_method") not in ("RSA-GEN", "UID-RSA-GEN"):
                raise Fail(ROUTE_CREATE, 'ClusterDomainRoute.kuscia.secretflow "%s" is invalid: '
                           'spec.tokenConfig.tokenGenMethod: Unsupported value: "%s": supported values: '
                           '"RSA-GEN", "UID-RSA-GEN"' % (name, tc.get("token_gen_method", "")))
            if (tc.get("rolling_update_period") or 0) < 0:
                raise Fail(ROUTE_CREATE, 'ClusterDomainRoute.kuscia.secretflow "%s" is invalid: '
                           'spec.tokenConfig.rollingUpdatePeriod: Invalid value: %d: should be greater than or '
                           'equal to 0' % (name, tc["rolling_update_period"]))
            out = {"tokenGenMethod": tc["token_gen_method"],
                   "rollingUpdatePeriod": int(tc.get("rolling_update_period") or 0)}
            if tc.get("source_public_key"):
                out["sourcePublicKey"] = tc["source_public_key"]
            if tc.get("destination_public_key"):
                out["destinationPublicKey"] = tc["destination_public_key"]
            spec["tokenConfig"] = out
        if m.get("mtls_config"):
            mt = m["mtls_config"]
            spec["mTLSConfig"] = {"tlsCA": mt.get("tls_ca", ""), "sourceClientPrivateKey":
                                  mt.get("source_client_private_key", ""),
                                  "sourceClientCert": mt.get("source_client_cert", "")}
        if tr:
            spec["transit"] = {"transitMethod": tr["transit_method"]}
            if (tr.get("domain") or {}).get("domain_id"):
                spec["transit"]["domain"] = {"domainID": tr["domain"]["domain_id"]}
        if m.get("body_encryption"):
            spec["bodyEncryption"] = {"algorithm": m["body_encryption"].get("algorithm", "")}
        try:
            self.store.create({"apiVersion": API_VERSION, "kind": "ClusterDomainRoute",
                               "metadata": {"name": name}, "spec": spec})
        except Exception as e:
            raise _k8s(e, exists=ROUTE_EXISTS, default=ROUTE_CREATE)
        return _ok(None)

    def route_delete(self, m):
        name = self._route_key(m)
        try:
            self.store.delete("clusterdomainroutes", "", name)
        except Exception as e:
            raise _k8s(e, not_found=ROUTE_NOT_EXISTS, default=ROUTE_DELETE)
        return _ok(has_data=False)

    # --- jobs ---------------------------------------------------------------------------------
    def job_create(self, m):
        jid = m.get("job_id", "")
        if not jid:
            raise Fail(VALIDATE, "job id can not be empty")
        _regex_check("job_id", jid, JOB_RE)
        tasks = m.get("tasks") or []
        if not tasks:
            raise Fail(VALIDATE, "tasks can not be empty")
        ini = m.get("initiator", "")
        if not ini:
            raise Fail(VALIDATE, "initiator can not be empty")
        if ini != self.domain:
            raise Fail(VALIDATE, "initiator is %s, but initiator must be %s in P2P" % (ini, self.domain))
        out_tasks = []
        for i, t in enumerate(tasks):
            if not t.get("alias"):
                raise Fail(VALIDATE, "task alias can not be empty on tasks[%d]" % i)
            if not t.get("parties"):
                raise Fail(VALIDATE, "parties can not be empty on tasks[%d]" % i)
            parties = []
            for p in t["parties"]:
                if not p.get("domain_id"):
                    raise Fail(VALIDATE, "party domain id can not be empty")
                party = {"domainID": p["domain_id"]}
                if p.get("role"):
                    party["role"] = p["role"]
                bls = []
                for b in p.get("bandwidth_limits") or []:
                    if (b.get("limit_kbps") or 0) <= 0:
                        raise Fail(VALIDATE, "bandwidth limit kbps can not be zero or negative")
                    if not b.get("destination_id"):
                        raise Fail(VALIDATE, "bandwidth limit destination id can not be empty")
                    bls.append({"destinationID": b["destination_id"], "limitKBps": int(b["limit_kbps"])})
                if bls:
                    party["bandwidthLimits"] = bls
                parties.append(party)
            task = {"alias": t["alias"], "appImage": t.get("app_image", ""), "parties": parties,
                    "taskInputConfig": t.get("task_input_config", "")}
            if t.get("task_id"):
                task["taskID"] = t["task_id"]
            if t.get("dependencies"):
                task["dependencies"] = list(t["dependencies"])
            if t.get("priority"):
                task["priority"] = t["priority"]
            if t.get("tolerable"):
                task["tolerable"] = True
            out_tasks.append(task)
        labels = {"kuscia.job.custom-fields/%s" % k: v for k, v in (m.get("custom_fields") or {}).items()}
        obj = {"apiVersion": API_VERSION, "kind": "KusciaJob",
               "metadata": {"name": jid, "namespace": "cross-domain"},
               "spec": {"initiator": ini, "scheduleMode": "BestEffort",
                        "maxParallelism": max(1, int(m.get("max_parallelism") or 0)), "tasks": out_tasks}}
        if labels:
            obj["metadata"]["labels"] = labels
        try:
            self.store.create(obj)
        except Exception as e:
            raise _k8s(e, default=JOB_CREATE)
        return _ok({"job_id": jid})

    @staticmethod
    def _job_status(job):
        st = job.get("status") or {}
        spec = job.get("spec") or {}
        phase = st.get("phase") or "Pending"
        task_states = st.get("taskStatus") or {}
        tasks = []
        for t in spec.get("tasks") or []:
            tid = t.get("taskID") or ""
            tstate = task_states.get(tid) or ("Pending" if phase in ("Pending", "Running") else phase)
            if tstate not in ("Pending", "Running", "Succeeded", "Failed"):
                tstate = "Unknown" if tstate else "Pending"
            tasks.append({"task_id": tid, "state": tstate, "err_msg": st.get("message") or "" if tstate == "Failed"
                          else "", "create_time": job["metadata"].get("creationTimestamp") or "",
                          "start_time": st.get("startTime") or "", "end_time": st.get("completionTime") or "",
                          "parties": [{"domain_id": p.get("domainID") or "", "state": tstate, "err_msg": "",
                                       "endpoints": []} for p in t.get("parties") or []],
                          "alias": t.get("alias") or "", "progress": 1.0 if tstate == "Succeeded" else 0.0})
        return {"state": phase, "err_msg": st.get("message") or "",
                "create_time": job["metadata"].get("creationTimestamp") or "",
                "start_time": st.get("startTime") or "", "end_time": st.get("completionTime") or "",
                "tasks": tasks,
                "stage_status_list": [{"domain_id": k, "state": v} for k, v in sorted((st.get("stageStatus") or {}).items())],
                "approve_status_list": [{"domain_id": k, "state": v}
                                        for k, v in sorted((st.get("approveStatus") or {}).items())]}

    def _job_get(self, jid, code):
        obj = self.store.get("kusciajobs", "cross-domain", jid)
        if obj is None:
            raise Fail(code, _nf("kusciajobs", jid))
        return obj

    def job_query(self, m):
        jid = m.get("job_id", "")
        if not jid:
            raise Fail(VALIDATE, "job id can not be empty")
        job = self._job_get(jid, JOB_QUERY)
        spec = job.get("spec") or {}
        tasks = []
        for t in spec.get("tasks") or []:
            sc = t.get("scheduleConfig") or {}
            tasks.append({
                "app_image": t.get("appImage") or "",
                "parties": [{"domain_id": p.get("domainID") or "", "role": p.get("role") or "", "resources": None,
                             "bandwidth_limits": [{"destination_id": b.get("destinationID") or "",
                                                   "limit_kbps": str(int(b.get("limitKBps") or 0))}
                                                  for b in p.get("bandwidthLimits") or []]}
                            for p in t.get("parties") or []],
                "alias": t.get("alias") or "", "task_id": t.get("taskID") or "",
                "dependencies": list(t.get("dependencies") or []),
                "task_input_config": t.get("taskInputConfig") or "", "priority": int(t.get("priority") or 0),
                "schedule_config": None if not sc else {
                    "task_timeout_seconds": int(sc.get("lifecycleSeconds") or 0),
                    "resource_reserved_seconds": int(sc.get("resourceReservedSeconds") or 0),
                    "resource_reallocation_interval_seconds": int(sc.get("retryIntervalSeconds") or 0)}})
        labels = (job.get("metadata") or {}).get("labels") or {}
        custom = {k[len("kuscia.job.custom-fields/"):]: v for k, v in labels.items()
                  if k.startswith("kuscia.job.custom-fields/")}
        return _ok({"job_id": jid, "initiator": spec.get("initiator") or "",
                    "max_parallelism": int(spec.get("maxParallelism") or 0), "tasks": tasks,
                    "status": self._job_status(job), "custom_fields": custom})

    def job_batch_status(self, m):
        ids = m.get("job_ids") or []
        if not ids:
            raise Fail(VALIDATE, "job ids can not be empty")
        for j in ids:
            if not j:
                raise Fail(VALIDATE, "job id can not be empty")
        return _ok({"jobs": [{"job_id": j, "status": self._job_status(self._job_get(j, JOB_QUERY_STATUS))}
                             for j in ids]})


# --- helpers ---------------------------------------------------------------------------------

def _owner(obj):
    meta = obj.get("metadata") or {}
    return {"apiVersion": API_VERSION, "kind": obj.get("kind") or "DomainData", "name": meta.get("name"),
            "uid": meta.get("uid", ""), "controller": True, "blockOwnerDeletion": True}


def _col_cr(c):
    out = {"name": c.get("name", ""), "type": c.get("type", "")}
    if c.get("comment"):
        out["comment"] = c["comment"]
    if c.get("not_nullable"):
        out["notNullable"] = True
    return out


def _col_api(c):
    return {"name": c.get("name") or "", "type": c.get("type") or "", "comment": c.get("comment") or "",
            "not_nullable": bool(c.get("notNullable"))}


def _gen_dd_id(name):
    s = re.sub(r"[^a-zA-Z0-9/-]", "", name or "").lower()
    s = s.lstrip("0123456789-/")
    s = s[:16]
    if s and not s.endswith("-"):
        s += "-"
    return s + uuid.uuid4().hex
