"""The public gateway port of a simulated Kuscia node (spec/routes-and-tokens.md §3, §5).

make_handler(node) -> handler(Request) -> Response. What envoy and the handshake server on
port 1054 do together upstream, one function does here:

* `Kuscia-Host: kuscia-handshake.<self>.svc` -> the handshake server: exact path /handshake,
  GET = the read-only probe / token heartbeat (§3.5), any other method = the RSA-GEN handshake
  (§3.3); anything else -> Go's `404 page not found`.
* `Kuscia-Source` + a `Kuscia-Token` of a completed handshake -> the simulator-only paths
  registered with register() (CONTRACTS.md §10 "Jobs"); /kcsim/v1/ping is built in.
* anything else -> the anonymous 401 of §5.
"""

import json
import threading
import time

from . import gw_keys as K

try:  # S1's server; the self-test injects a stand-in when it is absent
    from .httpserver import Response
except ImportError:  # pragma: no cover
    Response = None

# handshake probe states (§3.5)
TOKEN_READY = 0
DOMAIN_ID_INPUT_INVALID = 1
TOKEN_REVISION_INPUT_INVALID = 2
TOKEN_NOT_READY = 3
TOKEN_NOT_FOUND = 4
NO_AUTHENTICATION = 5
INTERNAL_ERROR = 6

DR = "domainroutes"

# One lock per process guards every read-modify-write of a DomainRoute status (the gateway
# handler threads and the route controller share it); routes.py imports it.
status_lock = threading.RLock()

# simulator-only paths reachable with a route token: path -> fn(node, request, source) -> Response
_paths = {}


def register(path, fn):
    """Serve PATH (exact) to peers that present a valid route token. fn(node, req, source)."""
    _paths[path] = fn


class _Panic(Exception):
    """Go's handler panicked: the connection is closed without an answer."""


# --- the handler ----------------------------------------------------------------------------

def make_handler(node):
    gw = _Gateway(node)
    return gw.handle


class _Gateway:
    def __init__(self, node):
        self.node = node
        self.domain = node.domain
        self.instance = K.instance_name(node)
        self.version = K.kuscia_version(node)
        self.handshake_host = "kuscia-handshake.%s.svc" % self.domain

    # Response helpers ----------------------------------------------------------------------
    def _resp(self, status, body, ctype, extra=None):
        headers = {"date": _http_date()}
        if extra:
            headers.update(extra)
        return Response(status, body, headers=headers, content_type=ctype)

    def _envoy_reply(self, status, body, detail, flag_text):
        """A local reply of the external envoy listener (kuscia_gress adds the error header)."""
        msg = "<%s/%s/external $%s$ %s>" % (self.domain, self.instance, detail, flag_text)
        return self._resp(status, body, "text/plain", {
            "server": "kuscia-gateway",
            "kuscia-error-message": msg,
            "x-accel-buffering": "no",
        })

    def unauthorized(self):
        body = json.dumps({"domain": self.domain, "instance": self.instance,
                           "kuscia": self.version, "reason": "unauthorized."},
                          separators=(",", ":")) + "\n"
        return self._envoy_reply(401, body.encode(), "", "Unauthorized")

    def _hs(self, status, obj):
        """An answer of the Go handshake server as envoy relays it."""
        return self._resp(status, K.go_json(obj), "application/json",
                          {"server": "kuscia-gateway", "x-accel-buffering": "no"})

    # dispatch ------------------------------------------------------------------------------
    def handle(self, req):
        host = (req.headers.get("kuscia-host") or "").strip().lower()
        host = host.split(":", 1)[0]
        if host == self.handshake_host:
            return self.handshake_server(req)
        source = self.authenticate(req)
        if source is None:
            return self.unauthorized()
        fn = _paths.get(req.path)
        if fn is None:
            return self._envoy_reply(404, b"", "route_not_found", "Not Found")
        try:
            return fn(self.node, req, source)
        except Exception as e:  # a sim-only path must not kill the listener
            K.log(self.node, "ERROR", "gateway path %s from %s failed: %s" % (req.path, source, e))
            return self._envoy_reply(500, b"", "internal_error", "Internal Server Error")

    # token auth (kuscia_token_auth) ---------------------------------------------------------
    def authenticate(self, req):
        """The Kuscia-Source whose Kuscia-Token matches a retained token of DomainRoute
        <source>-<self>, else None."""
        source = req.headers.get("kuscia-source") or ""
        token = req.headers.get("kuscia-token") or ""
        if not source or not token:
            return None
        try:
            dr = self.node.store.get(DR, self.domain, "%s-%s" % (source, self.domain))
        except Exception:
            return None
        if not dr:
            return None
        if (dr.get("spec") or {}).get("authenticationType") in ("MTLS", "None"):
            return source  # the wildcard `noop` list
        for t in _tokens(dr):
            if not t.get("isReady"):
                continue
            try:
                raw = K.unseal(K.own_key(self.node)[0], t.get("token") or "")
            except (ValueError, OSError):
                continue
            if K.wire_token(raw) == token:
                return source
        return None

    # the handshake server (port 1054 upstream) ----------------------------------------------
    def handshake_server(self, req):
        if req.path != "/handshake":
            return self._resp(404, b"404 page not found\n", "text/plain; charset=utf-8",
                              {"server": "kuscia-gateway", "x-accel-buffering": "no"})
        if req.method == "GET":
            return self.probe(req)
        try:
            return self.reply_handshake(req)
        except _Panic:
            # Go recovers and closes the connection; envoy turns that into a 503
            return self._envoy_reply(
                503, b"upstream connect error or disconnect/reset before headers. "
                     b"reset reason: connection termination",
                "upstream_reset_before_response_started{connection_termination}",
                "Service Unavailable")

    def probe(self, req):
        """GET /handshake: the status probe and the token heartbeat (§3.5)."""
        caller = req.headers.get("kuscia-origin-source") or req.headers.get("kuscia-source") or ""
        if not caller:
            return self._hs(200, {"namespace": self.domain, "state": DOMAIN_ID_INPUT_INVALID})
        name = "%s-%s" % (caller, self.domain)
        try:
            dr = self.node.store.get(DR, self.domain, name)
        except Exception:
            return self._hs(200, {"namespace": self.domain, "state": INTERNAL_ERROR})
        if not dr:
            return self._hs(200, {"namespace": self.domain, "state": NO_AUTHENTICATION})
        rev = req.headers.get("kuscia-token-revision")
        if rev is None or rev == "":
            return self._hs(200, {"namespace": self.domain, "state": TOKEN_REVISION_INPUT_INVALID})
        state = TOKEN_NOT_FOUND
        with status_lock:
            dr = self.node.store.get(DR, self.domain, name) or dr
            status = dr.get("status") or {}
            toks = _tokens(dr)
            for t in toks:
                if str(t.get("revision", 0)) == rev.strip():
                    if t.get("isReady"):
                        state = TOKEN_READY
                        t["heartBeatTime"] = K.fmt_time(fine=_fine(self.node))
                    else:
                        state = TOKEN_NOT_READY
                    break
            if state == TOKEN_READY:
                try:
                    self.node.store.update_status(DR, self.domain, name, status)
                except Exception as e:
                    K.log(self.node, "WARN", "DomainRoute %s/%s: update heartbeat time failed: %s"
                          % (self.domain, name, e))
        return self._hs(200, {"namespace": self.domain, "state": state})

    def reply_handshake(self, req):
        """POST /handshake (§3.3): check, store the new token, answer our half."""
        try:
            msg = _decode_request(req.body)
        except _DecodeError as e:
            K.log(self.node, "ERROR", "Invalid request: %s" % e)
            return self._resp(400, (str(e) + "\n").encode(), "text/plain; charset=utf-8",
                              {"server": "kuscia-gateway", "x-accel-buffering": "no"})
        src = msg.get("domain_id") or ""
        name = "%s-%s" % (src, self.domain)

        def fail(text):
            K.log(self.node, "ERROR", "DestReplyHandshake for [%s] failed, detail-> %s" % (name, text))
            return self._hs(200, {"status": {"code": 500, "message": text}})

        dr = self.node.store.get(DR, self.domain, name)
        if not dr:
            return fail("domainRoute [%s] not found in dest domain [%s]" % (name, self.domain))
        htype = msg.get("type") or ""
        if htype not in ("RSA", "UID"):
            return fail("invalid handshake type [%s]" % htype)
        spec = dr.get("spec") or {}
        want = {"RSA": "RSA-GEN", "UID": "UID-RSA-GEN"}[htype]
        method = (spec.get("tokenConfig") or {}).get("tokenGenMethod")
        if method and method != want:
            K.log(self.node, "WARN", "DomainRoute %s: handshake type %s differs from tokenGenMethod %s"
                  % (name, htype, method))
        src_key = (spec.get("tokenConfig") or {}).get("sourcePublicKey") or ""
        if not src_key:
            return fail("invalid source domain [%s] publickey in domainroute [%s], error: "
                        "public key is empty" % (src, name))
        try:
            src_pub = K.pub_from_string(src_key)
        except K.KeyError_:
            return fail("invalid source domain [%s] publickey in domainroute [%s], must be "
                        "based64 encoded string" % (src, name))
        cfg = msg.get("token_config")
        if cfg is None:
            raise _Panic()
        if (cfg.get("pubhash") or "") != K.pubhash_of_string(src_key):
            return fail("source domain [%s] publickey hash mismatch in domainroute [%s]" % (src, name))
        try:
            priv, own_pub = K.own_key(self.node)
            s = K.decrypt_half(priv, cfg.get("token") or "")
        except (ValueError, OSError) as e:
            text = "dest domain [%s] publickey in source domain [%s] may be not correct" % (
                self.domain, src)
            K.log(self.node, "ERROR", "%s, error: %s" % (text, e))
            return fail(text)
        d = K.random_half()
        try:
            rev, exp_ns = self._store_token(name, s + d, own_pub)
        except Exception as e:
            return fail("update domainRoute [%s] in dest domain [%s] error: %s" % (name, self.domain, e))
        K.log(self.node, "INFO", "Update domainRoute [%s] status successfully" % name)
        K.log(self.node, "INFO", "DomainRoute %s handle successfully" % name)
        return self._hs(200, {"status": {}, "token": {
            "token": K.encrypt_half(src_pub, d), "expiration_time": exp_ns, "revision": rev}})

    def _store_token(self, name, token32, own_pub):
        """Store the new revision in our DomainRoute <src>-<self>: revisionToken and, as the
        route controller would right after, the ready entry in tokens (last two kept)."""
        fine = _fine(self.node)
        with status_lock:
            dr = self.node.store.get(DR, self.domain, name)
            if not dr:
                raise RuntimeError("wait dr %s token ready failed at max retry times:30" % name)
            status = dr.get("status") or {}
            ts = status.setdefault("tokenStatus", {})
            prev = int((ts.get("revisionToken") or {}).get("revision") or 0)
            period = int(((dr.get("spec") or {}).get("tokenConfig") or {}).get("rollingUpdatePeriod") or 0)
            now = time.time()
            exp = now + (2 * period if period > 0 else 100 * 365 * 86400)
            sealed = K.seal_for_self(K.pub_from_string(own_pub), token32)
            tok = {"token": sealed, "revision": prev + 1, "isReady": True,
                   "revisionTime": K.fmt_time(now, fine), "expirationTime": K.fmt_time(exp, fine)}
            ts["revisionToken"] = dict(tok)
            ts.setdefault("revisionInitializer", self.instance)
            entry = dict(tok)
            entry["effectiveInstances"] = [self.instance]
            toks = [t for t in (ts.get("tokens") or []) if t.get("revision") != prev + 1]
            toks.append(entry)
            ts["tokens"] = toks[-2:]
            self.node.store.update_status(DR, self.domain, name, status)
        return prev + 1, int(exp * 1e9)


# --- helpers --------------------------------------------------------------------------------

def _tokens(dr):
    return ((dr.get("status") or {}).get("tokenStatus") or {}).get("tokens") or []


def _fine(node):
    try:
        return float(getattr(node, "time_scale", 1) or 1) != 1.0
    except (TypeError, ValueError):
        return False


def _http_date():
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())


class _DecodeError(ValueError):
    pass


# Go encoding/json into the protobuf struct: snake_case names matched case-insensitively,
# unknown keys ignored, strings must be strings and the int64 fields JSON numbers.
_REQ_FIELDS = {"domain_id": "string", "type": "string", "token_config": "cfg", "request_time": "int64"}
_CFG_FIELDS = {"token": "string", "revision": "int64", "pubhash": "string"}
_GO_TYPES = {"string": "string", "int64": "int64", "cfg": "handshake.TokenConfig"}


def _decode_request(body):
    if not body:
        raise _DecodeError("EOF")
    try:
        obj = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise _DecodeError("invalid character looking for beginning of value")
    except json.JSONDecodeError as e:
        raise _DecodeError(_go_syntax_error(body, e))
    if not isinstance(obj, dict):
        raise _DecodeError("json: cannot unmarshal %s into Go value of type handshake.HandShakeRequest"
                           % _json_kind(obj))
    out = _decode_struct(obj, _REQ_FIELDS, "HandShakeRequest", "")
    if "token_config" in out and out["token_config"] is not None:
        out["token_config"] = _decode_struct(out["token_config"], _CFG_FIELDS, "TokenConfig",
                                             "token_config.")
    return out


def _decode_struct(obj, fields, gotype, prefix):
    out = {}
    for key, val in obj.items():
        fname = key.lower()
        kind = fields.get(fname)
        if kind is None or val is None:
            continue
        where = "Go struct field %s.%s%s of type %s" % (gotype, prefix, fname, _GO_TYPES.get(kind, kind))
        if kind == "string":
            if not isinstance(val, str):
                raise _DecodeError("json: cannot unmarshal %s into %s" % (_json_kind(val), where))
        elif kind == "int64":
            if isinstance(val, bool) or not isinstance(val, (int, float)):
                raise _DecodeError("json: cannot unmarshal %s into %s" % (_json_kind(val), where))
            if isinstance(val, float):
                if val != int(val):
                    raise _DecodeError("json: cannot unmarshal number %s into %s" % (val, where))
                val = int(val)
        elif kind == "cfg":
            if not isinstance(val, dict):
                raise _DecodeError("json: cannot unmarshal %s into %s" % (_json_kind(val), where))
        out[fname] = val
    return out


def _json_kind(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def _go_syntax_error(body, e):
    text = body.decode("utf-8", "replace")
    if e.pos >= len(text.rstrip()):
        return "unexpected EOF"
    ch = text[e.pos]
    return "invalid character %s looking for beginning of value" % json.dumps(ch).replace('"', "'")


# --- the built-in sim-only path ------------------------------------------------------------

def _ping(node, req, source):
    return Response(200, {"domain": node.domain, "source": source, "path": req.path})


register("/kcsim/v1/ping", _ping)


def _register_jobs():
    from .gw_jobs import party_check_path
    register("/kcsim/v1/job/party-check", party_check_path)


_register_jobs()
