"""The route controllers of a simulated Kuscia node (spec/routes-and-tokens.md §1, §3, §4, §6).

start(node) starts them and returns. Three upstream controllers are folded into one work queue:

* the CDR controller (pkg/controllers/clusterdomainroute): fills the public keys of a
  Token/RSA-GEN ClusterDomainRoute from the two Domains, derives the DomainRoute in our own
  namespace, and writes the CDR status (Ready condition, sourceTokens/destinationTokens) by
  upstream's rules, including its closed set of reasons;
* the DomainRoute controller (pkg/controllers/domainroute): revision initializer, rolling;
* the gateway's DomainRoute controller (pkg/gateway/controller): the RSA-GEN handshake as the
  source, the token heartbeat, markDestUnreachable; the Gateway object's heartbeat.

Every upstream interval is divided by the node's time scale (node.interval). Store changes
are picked up at once (store.subscribe); failed handshakes are retried with upstream's
back-off.
"""

import copy
import heapq
import itertools
import json
import random
import threading
import time

from . import gateway as G
from . import gw_keys as K
from . import route_client as C
from . import jobs

CDR = "clusterdomainroutes"
DR = "domainroutes"
DOMAINS = "domains"
GATEWAYS = "gateways"
GROUP = "kuscia.secretflow"
API_VERSION = "kuscia.secretflow/v1alpha1"

L_SRC = "kuscia.secretflow/clusterdomainroute-source"
L_DST = "kuscia.secretflow/clusterdomainroute-destination"
L_PARTNER = "kuscia.secertflow/domainroute-partner"  # sic, upstream's spelling

NOT_AUTHORIZED = "DestinationIsNotAuthrized"  # sic, upstream's spelling
TOKEN_NOT_GENERATE = "TokenNotGenerate"
UNREACHABLE = "DestinationUnreachable"
HB_TIMEOUT = "HeartBeatTimeout"

HTTP_TRIES = 5
MAX_REQUEUES = 16

_controllers = {}


def start(node):
    """Start the route controller threads of NODE; returns the controller."""
    # envoy's TLS listener closes a plain-HTTP connection (a Go server would answer 400)
    gw = (getattr(node, "listeners", None) or {}).get("gateway")
    if gw is not None:
        gw.plain_http_close = True
    ctl = Controller(node)
    _controllers[id(node)] = ctl
    ctl.start()
    jobs.start(node)
    return ctl


def controller(node):
    return _controllers.get(id(node))


def _ends(cdr):
    spec = cdr.get("spec") if isinstance(cdr.get("spec"), dict) else {}
    return frozenset((spec.get("source"), spec.get("destination")))


# --- a small delaying work queue (client-go's, reduced) -------------------------------------

class _Queue:
    def __init__(self):
        self.cv = threading.Condition()
        self.heap = []
        self.due = {}
        self.busy = set()
        self.dirty = {}
        self.seq = itertools.count()

    def add(self, key, delay=0.0):
        with self.cv:
            self._add(key, time.monotonic() + max(0.0, delay))

    def _add(self, key, t):
        if key in self.busy:
            if key not in self.dirty or t < self.dirty[key]:
                self.dirty[key] = t
            return
        old = self.due.get(key)
        if old is not None and old <= t:
            return
        self.due[key] = t
        heapq.heappush(self.heap, (t, next(self.seq), key))
        self.cv.notify()

    def get(self):
        with self.cv:
            while True:
                now = time.monotonic()
                while self.heap and self.due.get(self.heap[0][2]) != self.heap[0][0]:
                    heapq.heappop(self.heap)  # superseded entry
                if self.heap and self.heap[0][0] <= now:
                    t, _, key = heapq.heappop(self.heap)
                    del self.due[key]
                    self.busy.add(key)
                    return key
                self.cv.wait(None if not self.heap else self.heap[0][0] - now)

    def done(self, key):
        with self.cv:
            self.busy.discard(key)
            t = self.dirty.pop(key, None)
            if t is not None:
                self._add(key, t)


# --- the controller ----------------------------------------------------------------------

class _RouteState:
    def __init__(self):
        self.fails = 0
        self.last_ok = None      # monotonic time of the last successful heartbeat
        self.healthy = None      # endpoint health as envoy's health check would report it
        self.hb_scheduled = False


class Controller:
    WORKERS = 4

    def __init__(self, node):
        self.node = node
        self.store = node.store
        self.domain = node.domain
        self.instance = K.instance_name(node)
        self.queue = _Queue()
        self.state = {}
        self.seen_spec = {}
        self.cdr_ends = {}  # CDR name -> its source and destination Domains: which Domain events matter
        self.started = time.time()
        self.gateway_ok = True
        self.fine = G._fine(node)
        self.threads = []
        self.stopped = False

    # timing ---------------------------------------------------------------------------------
    def iv(self, seconds):
        try:
            return float(self.node.interval(seconds))
        except Exception:
            return float(seconds)

    @property
    def http_timeout(self):
        return max(self.iv(10), 1.0)

    def log(self, level, msg):
        K.log(self.node, level, msg)

    def st(self, drname):
        s = self.state.get(drname)
        if s is None:
            s = self.state[drname] = _RouteState()
        return s

    # life cycle ---------------------------------------------------------------------------
    def start(self):
        self.store.subscribe(self.on_event)
        for cdr in self.store.list(CDR, ""):  # after subscribing, so that no route is missed
            name = cdr["metadata"]["name"]
            self.cdr_ends[name] = self.cdr_ends.get(name, frozenset()) | _ends(cdr)
        for i in range(self.WORKERS):
            t = threading.Thread(target=self._work, name="kcsim-routes-%d" % i, daemon=True)
            t.start()
            self.threads.append(t)
        self.queue.add(("resync",))
        self.queue.add(("gateway",))

    def stop(self):
        """Stop working (the threads idle; a stopped node's process exits anyway)."""
        self.stopped = True
        self.queue.add(("stop",))

    def _work(self):
        while not self.stopped:
            key = self.queue.get()
            if self.stopped:
                self.queue.done(key)
                self.queue.add(("stop",))
                return
            if key[0] in ("dr", "hb"):
                # network work (handshake, heartbeat) gets its own thread, so that a peer that
                # never answers cannot hold up the heartbeats of the other routes
                threading.Thread(target=self._run, args=(key,), name="kcsim-%s-%s" % key,
                                 daemon=True).start()
            else:
                self._run(key)

    def _run(self, key):
        try:
            self.process(key)
        except Exception as e:  # a controller never dies of one object
            self.log("ERROR", "route controller: %s failed: %r" % (key, e))
            if key[0] in ("cdr", "dr"):
                self.queue.add(key, max(self.iv(5), 0.05))
        finally:
            self.queue.done(key)

    def on_event(self, event, obj):
        """store.subscribe callback: only enqueue (never touch the store here)."""
        if self.stopped:
            return
        try:
            kind = obj.get("kind")
            meta = obj.get("metadata") or {}
            name = meta.get("name")
            if kind == "ClusterDomainRoute":
                if event == "DELETED":
                    self.cdr_ends.pop(name, None)
                else:  # every end a route has had: a late event of an older version only adds
                    self.cdr_ends[name] = self.cdr_ends.get(name, frozenset()) | _ends(obj)
                spec = json.dumps(obj.get("spec"), sort_keys=True)
                if event == "MODIFIED" and self.seen_spec.get(name) == spec:
                    return  # a status write (often ours): nothing to derive
                self.seen_spec[name] = spec
                self.queue.add(("cdr", name))
            elif kind == "Domain":
                # a Domain only matters to the routes that name it (a new route is synced by its own event)
                if any(name in ends for ends in list(self.cdr_ends.values())):
                    self.queue.add(("domain", name))
            elif kind == "DomainRoute" and meta.get("namespace") == self.domain:
                owner = _owner_cdr(obj)
                spec = obj.get("spec") or {}
                self.queue.add(("cdr", owner or "%s-%s" % (spec.get("source"), spec.get("destination"))))
                if spec.get("source") == self.domain:
                    self.queue.add(("dr", name))
        except Exception:
            pass

    def process(self, key):
        kind = key[0]
        if kind == "resync":
            for cdr in self.store.list(CDR, ""):
                self.queue.add(("cdr", cdr["metadata"]["name"]))
            for dr in self.store.list(DR, self.domain):
                if (dr.get("spec") or {}).get("source") == self.domain:
                    self.queue.add(("dr", dr["metadata"]["name"]))
            self.queue.add(("resync",), self.iv(120))
        elif kind == "domain":
            for cdr in self.store.list(CDR, ""):
                spec = cdr.get("spec") or {}
                if key[1] in (spec.get("source"), spec.get("destination")):
                    self.queue.add(("cdr", cdr["metadata"]["name"]))
        elif kind == "cdr":
            self.sync_cdr(key[1])
        elif kind == "dr":
            self.sync_dr(key[1])
        elif kind == "hb":
            self.heartbeat(key[1])
        elif kind == "gateway":
            self.queue.add(("gateway",), self.iv(15))
            self.gateway_heartbeat()

    # --- the CDR controller ----------------------------------------------------------------
    def _domain_key(self, dom, name):
        """Canonical key string from Domain.spec.cert, '' with upstream's log when unusable."""
        cert = (dom.get("spec") or {}).get("cert") or ""
        if not cert:
            self.log("WARN", "Domain %s cert is nil" % name)
            return ""
        try:
            return K.key_string_from_cert_b64(cert)
        except K.KeyError_:
            self.log("ERROR", "Domain %s cert format error" % name)
            return ""

    def sync_cdr(self, name):
        cdr = self.store.get(CDR, "", name)
        if cdr is None:
            self._drop_domainroutes(name)
            return
        self.seen_spec.setdefault(name, json.dumps(cdr.get("spec"), sort_keys=True))
        spec = cdr.get("spec") or {}
        src, dst = spec.get("source") or "", spec.get("destination") or ""
        if self.domain not in (src, dst) or src == dst:
            return
        doms = {}
        for d in (src, dst):
            dom = self.store.get(DOMAINS, "", d)
            if dom is None:
                self.log("WARN", 'get Domain %s fail: domains.%s "%s" not found' % (d, GROUP, d))
                return
            doms[d] = dom

        # labels and public keys (spec.tokenConfig) of the CDR
        want = copy.deepcopy(cdr)
        labels = want.setdefault("metadata", {}).setdefault("labels", {}) or {}
        want["metadata"]["labels"] = labels
        labels[L_SRC] = src
        labels[L_DST] = dst
        partner = [d for d in (src, dst) if (doms[d].get("spec") or {}).get("role") == "partner"]
        if partner:
            labels[L_PARTNER] = partner[0]
        wspec = want.setdefault("spec", {})
        if spec.get("authenticationType") == "Token":
            tc = wspec.get("tokenConfig")
            if isinstance(tc, dict) and tc.get("tokenGenMethod") in ("RSA-GEN", "UID-RSA-GEN"):
                tc["sourcePublicKey"] = self._domain_key(doms[src], src)
                tc["destinationPublicKey"] = self._domain_key(doms[dst], dst)
                for k in ("sourcePublicKey", "destinationPublicKey"):
                    if not tc[k] and not (spec.get("tokenConfig") or {}).get(k):
                        del tc[k]
        if want["metadata"].get("labels") != (cdr.get("metadata") or {}).get("labels") or \
                want.get("spec") != cdr.get("spec"):
            try:
                cdr = self.store.update(want)
                self.seen_spec[name] = json.dumps(cdr.get("spec"), sort_keys=True)
            except Exception as e:
                self.log("WARN", "ClusterDomainRoute %s: update failed: %s" % (name, e))
                self.queue.add(("cdr", name), max(self.iv(1), 0.05))
                return

        dr = self._ensure_domainroute(cdr, src, dst, labels)
        if dr is None:
            return
        self.write_cdr_status(cdr, dr, src, dst)

    def _drop_domainroutes(self, cdr_name):
        for dr in self.store.list(DR, self.domain):
            if _owner_cdr(dr) == cdr_name:
                try:
                    self.store.delete(DR, self.domain, dr["metadata"]["name"])
                except Exception:
                    pass
                self.state.pop(dr["metadata"]["name"], None)

    def _ensure_domainroute(self, cdr, src, dst, cdr_labels):
        drname = "%s-%s" % (src, dst)
        spec = copy.deepcopy(cdr.get("spec") or {})
        spec.pop("sourceWhiteIPList", None)
        labels = dict(cdr_labels)  # upstream copies the CDR's labels as they are
        meta = cdr.get("metadata") or {}
        owner = {"apiVersion": API_VERSION, "kind": "ClusterDomainRoute", "name": meta.get("name"),
                 "uid": meta.get("uid", ""), "controller": True, "blockOwnerDeletion": True}
        dr = self.store.get(DR, self.domain, drname)
        try:
            if dr is None:
                dr = self.store.create({
                    "apiVersion": API_VERSION, "kind": "DomainRoute",
                    "metadata": {"name": drname, "namespace": self.domain, "labels": labels,
                                 "ownerReferences": [owner]},
                    "spec": spec})
                self.log("INFO", "DomainRoute %s/%s created" % (self.domain, drname))
            elif dr.get("spec") != spec or (dr["metadata"].get("labels") or {}) != labels or \
                    (dr["metadata"].get("ownerReferences") or [{}])[0].get("name") != meta.get("name"):
                dr = copy.deepcopy(dr)
                dr["spec"] = spec
                dr["metadata"]["labels"] = labels
                dr["metadata"]["ownerReferences"] = [owner]
                dr = self.store.update(dr)
        except Exception as e:
            self.log("WARN", "DomainRoute %s/%s: create or update failed: %s" % (self.domain, drname, e))
            self.queue.add(("cdr", meta.get("name")), max(self.iv(1), 0.05))
            return None
        return dr

    def write_cdr_status(self, cdr, dr, src, dst):
        """Upstream's condition rules (§4): start from True/Success, apply source side,
        destination side, heartbeat timeout in that order; write only when (a) the token copy
        differs, (b) source side READY disagrees with isDestinationUnreachable, (c) the
        heartbeat timeout fires."""
        drst = dr.get("status") or {}
        tokens = (drst.get("tokenStatus") or {}).get("tokens") or []
        old = cdr.get("status") or {}
        st = copy.deepcopy(old)
        ts = st.setdefault("tokenStatus", {})
        ready_cond = _ready(old)
        status, reason, message = "True", "", "Success"
        write = False
        if src == self.domain:
            unreachable = bool(drst.get("isDestinationUnreachable"))
            if not tokens:
                if not drst.get("isDestinationAuthorized"):
                    status, reason, message = "False", NOT_AUTHORIZED, TOKEN_NOT_GENERATE
                else:
                    status, reason, message = "False", TOKEN_NOT_GENERATE, TOKEN_NOT_GENERATE
            elif unreachable:
                status, reason, message = "False", UNREACHABLE, UNREACHABLE
            if (ts.get("sourceTokens") or []) != tokens:
                write = True
                ts["sourceTokens"] = copy.deepcopy(tokens)
            is_true = bool(ready_cond and ready_cond.get("status") == "True")
            if is_true == unreachable:
                write = True
            health = self.st(dr["metadata"]["name"]).healthy
            ports = ((cdr.get("spec") or {}).get("endpoint") or {}).get("ports") or []
            if health is not None and ports:
                key = "%s-%s" % (self.instance, ports[0].get("name") or "")
                eps = {key: {"endpointHealthy": bool(health)}}
                if st.get("endpointStatuses") != eps:
                    st["endpointStatuses"] = eps
                    write = True
        else:
            if (ts.get("destinationTokens") or []) != tokens:
                write = True
                if not tokens:
                    status, reason, message = "False", TOKEN_NOT_GENERATE, TOKEN_NOT_GENERATE
                ts["destinationTokens"] = copy.deepcopy(tokens)
            if status == "True" and _heartbeat_timeout(tokens, time.time() - self.iv(30)):
                status, reason, message = "False", HB_TIMEOUT, HB_TIMEOUT
                write = True
        if not write:
            return
        now = K.fmt_time(fine=self.fine)
        cond = {"type": "Ready", "status": status, "message": message}
        if reason:
            cond["reason"] = reason
        if status == "True" and ready_cond and ready_cond.get("status") == "True":
            cond["lastUpdateTime"] = ready_cond.get("lastUpdateTime") or now
            cond["lastTransitionTime"] = ready_cond.get("lastTransitionTime") or now
        else:
            cond["lastUpdateTime"] = now
            cond["lastTransitionTime"] = now
        conds = [c for c in (st.get("conditions") or []) if c.get("type") != "Ready"]
        conds.append(cond)
        st["conditions"] = conds
        if not ts:
            st.pop("tokenStatus", None)
        if st == old:
            return
        if not ready_cond or ready_cond.get("status") != status or ready_cond.get("reason") != cond.get("reason"):
            self.log("INFO", "ClusterDomainRoute %s: Ready %s %s" % (
                cdr["metadata"]["name"], status, reason or message))
        try:
            self.store.update_status(CDR, "", cdr["metadata"]["name"], st)
        except Exception as e:
            self.log("WARN", "ClusterDomainRoute %s: update status failed: %s" % (cdr["metadata"]["name"], e))

    # --- DomainRoute controller + gateway: handshake as the source --------------------------
    def sync_dr(self, drname):
        dr = self.store.get(DR, self.domain, drname)
        if dr is None:
            self.state.pop(drname, None)
            return
        spec = dr.get("spec") or {}
        if spec.get("source") != self.domain or spec.get("authenticationType") != "Token":
            return
        tc = spec.get("tokenConfig") or {}
        method = tc.get("tokenGenMethod")
        if method not in ("RSA-GEN", "UID-RSA-GEN"):
            self.log("WARN", "DomainRoute %s/%s: unsupported token gen method %s" % (self.domain, drname, method))
            return
        ns_name = "%s/%s" % (self.domain, drname)
        if not tc.get("sourcePublicKey") or not tc.get("destinationPublicKey"):
            self.log("WARN", "domainroute %s select initializer failed, because source or destination "
                     "pub is null, wait domain update" % ns_name)
            return
        status = copy.deepcopy(dr.get("status") or {})
        ts = status.setdefault("tokenStatus", {})
        if not ts.get("revisionInitializer"):
            ts["revisionInitializer"] = self.instance
            self._update_dr_status(drname, lambda s: s.setdefault("tokenStatus", {}).setdefault(
                "revisionInitializer", self.instance))
            return  # the write brings us back
        rt = ts.get("revisionToken") or {}
        if rt.get("token"):
            why = self._needs_rolling(dr, rt)
            if why:
                self.log("INFO", "DomainRoute %s %s" % (ns_name, why))

                def clear(s):
                    r = s.setdefault("tokenStatus", {}).setdefault("revisionToken", {})
                    r["token"] = ""
                    r["isReady"] = False
                self._update_dr_status(drname, clear)
                return
            self._schedule_heartbeat(drname)
            self._schedule_rolling_check(dr, rt, drname)
            return

        # the gateway: hand-shake
        try:
            priv, own_pub = K.own_key(self.node)
        except Exception as e:
            self.log("ERROR", "DomainRoute %s: load domain key failed: %s" % (drname, e))
            return
        if tc.get("sourcePublicKey") != own_pub:
            self.log("ERROR", "DomainRoute %s: mismatch source public key" % drname)
            return
        self.log("INFO", "DomainRoute %s starts handshake, the last revision is %d" % (
            ns_name, int(rt.get("revision") or 0)))
        if self.handshake(dr, priv, own_pub):
            self.st(drname).fails = 0
            return
        s = self.st(drname)
        s.fails += 1
        if s.fails <= MAX_REQUEUES:
            delay = self.iv(0.005 * 2 ** (s.fails - 1))
        else:  # the 2-minute resync finds the still-empty revision and resets it
            delay = self.iv(120) + random.uniform(0, self.iv(120))
        self.queue.add(("dr", drname), delay)

    def _needs_rolling(self, dr, rt):
        period = int(((dr.get("spec") or {}).get("tokenConfig") or {}).get("rollingUpdatePeriod") or 0)
        now = time.time()
        rtime = K.parse_time(rt.get("revisionTime"))
        if period > 0 and rtime is not None and now - rtime >= self.iv(period):
            return "token rolling period %ds passed, so need to re-handshake" % period
        exp = K.parse_time(rt.get("expirationTime"))
        if period > 0 and exp is not None and now >= exp:
            return "token is expired, so need to re-handshake"
        if not rt.get("isReady") and rtime is not None and now - rtime > self.iv(120):
            return "token is waiting more than 2 minutes for ready, so need to re-handshake"
        return None

    def _schedule_rolling_check(self, dr, rt, drname):
        period = int(((dr.get("spec") or {}).get("tokenConfig") or {}).get("rollingUpdatePeriod") or 0)
        rtime = K.parse_time(rt.get("revisionTime"))
        if period > 0 and rtime is not None:
            self.queue.add(("dr", drname), max(0.0, rtime + self.iv(period) - time.time()) + 0.01)

    def _update_dr_status(self, drname, fn):
        """Read-modify-write of our DomainRoute's status under the shared lock."""
        with G.status_lock:
            dr = self.store.get(DR, self.domain, drname)
            if dr is None:
                return None
            status = copy.deepcopy(dr.get("status") or {})
            fn(status)
            if status == (dr.get("status") or {}):
                return dr
            return self.store.update_status(DR, self.domain, drname, status)

    def _endpoint(self, spec):
        ep = spec.get("endpoint") or {}
        ports = ep.get("ports") or []
        port = None
        if len(ports) == 1:
            port = ports[0]
        else:
            port = next((p for p in ports if (p.get("protocol") or "").upper() == "HTTP"), None)
        if not ep.get("host") or port is None:
            return None
        prefix = (port.get("pathPrefix") or "/").rstrip("/")
        return ep["host"], int(port.get("port") or 0), bool(port.get("isTLS")), prefix, \
            port.get("name") or ""

    def _send(self, spec, method, path_tail, headers, body=None, tries=1, log_http=False):
        """Upstream's utils.DoHTTP(WithRetry) through our envoy: (error text or None, decoded
        JSON answer or None, the last Result). Errors read as upstream's: "send request error,
        detail -> ...", "response status code [N], detail -> <200 bytes>", "invalid response
        body, detail -> <200 bytes>". Every attempt of a retried call is logged as [HTTP]."""
        ep = self._endpoint(spec)
        dst = spec.get("destination")
        host_hdr = "kuscia-handshake.%s.svc" % dst
        err, out, res = None, None, None
        for i in range(tries):
            if i:
                time.sleep(self.iv(1))
            if ep is None:
                res = C.Result(503, b"no healthy upstream")
            else:
                host, port, tls, prefix, pname = ep
                hdrs = {"Kuscia-Handshake-Cluster": "%s-to-%s-%s" % (self.domain, dst, pname),
                        "Kuscia-Source": self.domain, "Kuscia-Origin-Source": self.domain,
                        "Kuscia-Host": host_hdr}
                hdrs.update(headers)
                res = C.forward(host, port, tls, method, prefix + path_tail, hdrs, body,
                                connect_timeout=self.http_timeout, timeout=self.http_timeout)
            out = None
            if res.error:
                err = "send request error, detail -> %s" % res.error
            elif res.status != 200:
                err = "response status code [%d], detail -> %s" % (res.status, res.detail())
            else:
                try:
                    out = json.loads(res.body)
                    if not isinstance(out, dict):
                        raise ValueError("not an object")
                    err = None
                except ValueError:
                    out, err = None, "invalid response body, detail -> %s" % res.detail()
            if log_http:
                self.log("INFO", "[HTTP] method(%s),uri(%s),path(%s),req(%s),res(%s),err(%s)" % (
                    method, host_hdr, (ep[3] if ep else "") + path_tail,
                    (body or b"").decode("utf-8", "replace"),
                    json.dumps(out or {}, separators=(",", ":")), err or "<nil>"))
            if err is None:
                break
        return err, out, res

    def handshake(self, dr, priv, own_pub):
        drname = dr["metadata"]["name"]
        spec = dr.get("spec") or {}
        tc = spec.get("tokenConfig") or {}
        rt = ((dr.get("status") or {}).get("tokenStatus") or {}).get("revisionToken") or {}
        pre = "DomainRoute %s: " % drname
        try:
            dst_pub = K.pub_from_string(tc.get("destinationPublicKey") or "")
        except K.KeyError_:
            self.log("ERROR", pre + "destination public key format error, must be base64 encoded")
            return False
        s = K.random_half()
        cfg = {"token": K.encrypt_half(dst_pub, s)}
        if int(rt.get("revision") or 0):
            cfg["revision"] = int(rt.get("revision"))
        cfg["pubhash"] = K.pubhash_of_string(own_pub)
        body = K.go_json({"domain_id": self.domain,
                          "type": "UID" if tc.get("tokenGenMethod") == "UID-RSA-GEN" else "RSA",
                          "token_config": cfg, "request_time": time.time_ns()}).rstrip(b"\n")
        err, msg, res = self._send(spec, "POST", "/handshake", {"Content-Type": "application/json"}, body,
                                   tries=HTTP_TRIES, log_http=True)
        self._note_health(drname, res.error is None and res.status < 500)
        if err:
            self.log("WARN", pre + "handshake fail:%s" % err)
            return False
        status = msg.get("status")
        if status is None:
            self.log("WARN", pre + "handshake fail, status is null, some unexcepted cases occurs")
            return False
        if (status.get("code") or 0) != 0:
            self.log("WARN", pre + "handshake fail, return error:%s" % (status.get("message") or ""))
            return False
        tok = msg.get("token") or {}
        try:
            d = K.decrypt_half(priv, tok.get("token") or "")
        except ValueError:
            # upstream formats the (empty) status message here, not the decryption error
            self.log("WARN", pre + "handshake fail, decryptToken  error:%s" % (status.get("message") or ""))
            return False
        rev = int(tok.get("revision") or 0)
        now = time.time()
        period = int(tc.get("rollingUpdatePeriod") or 0)
        exp_ns = tok.get("expiration_time")
        if period == 0 or not exp_ns:
            exp = now + 100 * 365 * 86400
        else:
            exp = int(exp_ns) / 1e9
        sealed = K.seal_for_self(priv.public_key(), s + d)
        item = {"token": sealed, "revision": rev, "isReady": True,
                "revisionTime": K.fmt_time(now, self.fine), "expirationTime": K.fmt_time(exp, self.fine)}

        def store(st):
            ts = st.setdefault("tokenStatus", {})
            ts["revisionToken"] = dict(item)
            entry = dict(item)
            entry["effectiveInstances"] = [self.instance]
            toks = [t for t in (ts.get("tokens") or []) if t.get("revision") != rev]
            toks.append(entry)
            ts["tokens"] = toks[-2:]
            st["isDestinationAuthorized"] = True
            st["isDestinationUnreachable"] = False
        self.st(drname).last_ok = time.monotonic()
        self._update_dr_status(drname, store)
        self.log("INFO", pre + "handshake success, revision %d" % rev)
        self._schedule_heartbeat(drname)
        return True

    def _note_health(self, drname, healthy):
        s = self.st(drname)
        if s.healthy != healthy:
            s.healthy = healthy
            owner = "%s" % drname
            self.queue.add(("cdr", owner))

    # --- token heartbeat (§3.5) ---------------------------------------------------------------
    def _schedule_heartbeat(self, drname):
        s = self.st(drname)
        if not s.hb_scheduled:
            s.hb_scheduled = True
            if s.last_ok is None:
                s.last_ok = time.monotonic()
            self.queue.add(("hb", drname), self.iv(15))

    def heartbeat(self, drname):
        s = self.st(drname)
        dr = self.store.get(DR, self.domain, drname)
        rt = (((dr or {}).get("status") or {}).get("tokenStatus") or {}).get("revisionToken") or {}
        spec = (dr or {}).get("spec") or {}
        if not dr or spec.get("source") != self.domain or not rt.get("token"):
            s.hb_scheduled = False
            return
        self.queue.add(("hb", drname), self.iv(15))
        rev = int(rt.get("revision") or 0)
        err, out, res = self._send(spec, "GET", "/handshake", {"Kuscia-Token-Revision": str(rev)})
        drst = dr.get("status") or {}
        if err:
            # upstream: markDestUnreachable once no heartbeat succeeded for 45 s, then Warn(err)
            self._note_health(drname, False)
            last = s.last_ok or time.monotonic()
            if time.monotonic() - last > self.iv(45) and not drst.get("isDestinationUnreachable"):
                ago = time.time() - (time.monotonic() - last)
                self.log("WARN", "dr(%s) heartbeat expired, last hb time:%s" % (drname, _go_time(ago)))
                self._update_dr_status(drname, lambda st: st.__setitem__("isDestinationUnreachable", True))
                self.log("WARN", "markDestUnreachable of dr(%s)" % drname)
            self.log("WARN", err)
            return
        s.last_ok = time.monotonic()
        self._note_health(drname, True)
        if drst.get("isDestinationUnreachable"):
            self._update_dr_status(drname, lambda st: st.__setitem__("isDestinationUnreachable", False))
            self.log("INFO", "markDestReachable of dr(%s)" % drname)
        try:
            state = int(out.get("state"))
        except (TypeError, ValueError):
            state = G.TOKEN_READY
        if state == G.TOKEN_NOT_FOUND:
            if rt.get("token") or ((drst.get("tokenStatus") or {}).get("tokens")):
                self._update_dr_status(drname, _clear_tokens)
                self.log("INFO", "Domainroute %s found destination token(revsion %d) not exist" % (drname, rev))
        elif state == G.NO_AUTHENTICATION:
            if drst.get("isDestinationAuthorized"):
                def deauth(st):
                    _clear_tokens(st)
                    st["isDestinationAuthorized"] = False
                    st["isDestinationUnreachable"] = False
                self._update_dr_status(drname, deauth)
                self.log("WARN", "%s can't contact destination because destination authentication is false"
                         % drname)
        elif state in _STATE_WARNINGS:
            self.log("WARN", _STATE_WARNINGS[state] % drname)

    # --- the Gateway object -----------------------------------------------------------------
    def gateway_heartbeat(self):
        if not self.gateway_ok:
            return
        try:
            _, pub = K.own_key(self.node)
        except Exception:
            pub = ""
        now = K.fmt_time(fine=self.fine)
        status = {"address": "127.0.0.1", "heartbeatTime": now, "publicKey": pub,
                  "upTime": K.fmt_time(self.started), "version": K.kuscia_version(self.node)}
        net = []
        for name, s in list(self.state.items()):
            if s.healthy is not None:
                dst = name.split("-", 1)[1] if name.startswith(self.domain + "-") else name
                net.append({"name": "%s-to-%s-http" % (self.domain, dst), "type": "DomainRoute",
                            "healthy": bool(s.healthy)})
        if net:
            status["networkStatus"] = net
        try:
            gw = self.store.get(GATEWAYS, self.domain, self.instance)
            if gw is None:
                self.store.create({"apiVersion": API_VERSION, "kind": "Gateway",
                                   "metadata": {"name": self.instance, "namespace": self.domain}})
            self.store.update_status(GATEWAYS, self.domain, self.instance, status)
        except Exception as e:
            self.gateway_ok = False
            self.log("WARN", "Gateway %s/%s: heartbeat not recorded: %s" % (self.domain, self.instance, e))


# --- helpers --------------------------------------------------------------------------------

def _ready(status):
    for c in (status or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c
    return None


def _heartbeat_timeout(tokens, limit):
    """Upstream's IsTokenHeartBeatTimeout: some ready token has a heartbeat time and every
    ready token that has one is older than LIMIT."""
    beats = [K.parse_time(t.get("heartBeatTime")) for t in tokens if t.get("isReady")]
    beats = [b for b in beats if b is not None]
    return bool(beats) and all(b < limit for b in beats)


def _owner_cdr(obj):
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") == "ClusterDomainRoute":
            return ref.get("name")
    return None


def _clear_tokens(st):
    st["tokenStatus"] = {}


# what upstream's handleGetResponse returns (and the caller warns) for the other states, sic
_STATE_WARNINGS = {
    G.DOMAIN_ID_INPUT_INVALID: "%s destinationreturn  DomainIDInputInvalid, check 'Kuscia-Source' in header",
    G.TOKEN_REVISION_INPUT_INVALID: "%s destination return TokenRevisionInputInvalid, check "
                                    "'Kuscia-Token-Revision' in header",
    G.TOKEN_NOT_READY: "%s destination token is not ready",
    G.INTERNAL_ERROR: "%s destination return unkown error",
}


def _go_time(t):
    """Go's time.Time.String() of a Unix time, in UTC."""
    import datetime
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y-%m-%d %H:%M:%S.") + "%06d +0000 UTC" % d.microsecond


# --- routes for the rest of the simulator ---------------------------------------------------

def peer_request(node, peer, method, path, body=None, timeout=None):
    """Send a request to PEER's gateway over our route <self>-<peer> with the newest route
    token (what envoy adds for *.peer.svc, §3.4); for the simulator-only paths of gateway.py.
    Returns a route_client.Result; status 0 + error when there is no usable route."""
    dr = node.store.get(DR, node.domain, "%s-%s" % (node.domain, peer))
    if not dr:
        return C.Result(0, b"", None, "no DomainRoute %s-%s" % (node.domain, peer))
    toks = [t for t in ((dr.get("status") or {}).get("tokenStatus") or {}).get("tokens") or []
            if t.get("isReady")]
    if not toks:
        return C.Result(0, b"", None, "DomainRoute %s-%s has no token" % (node.domain, peer))
    newest = max(toks, key=lambda t: int(t.get("revision") or 0))
    try:
        raw = K.unseal(K.own_key(node)[0], newest.get("token") or "")
    except (ValueError, OSError) as e:
        return C.Result(0, b"", None, "token of %s-%s: %s" % (node.domain, peer, e))
    ctl = controller(node)
    ep = (ctl or Controller(node))._endpoint(dr.get("spec") or {})
    if ep is None:
        return C.Result(0, b"", None, "DomainRoute %s-%s has no endpoint" % (node.domain, peer))
    host, port, tls, prefix, _ = ep
    if body is not None and not isinstance(body, (bytes, bytearray)):
        body = json.dumps(body).encode()
    hdrs = {"Kuscia-Source": node.domain, "Kuscia-Origin-Source": node.domain,
            "Kuscia-Host": "kcsim.%s.svc" % peer, "Kuscia-Token": K.wire_token(raw),
            "x-interconn-protocol": "kuscia", "Content-Type": "application/json"}
    t = timeout if timeout is not None else (ctl.http_timeout if ctl else 10.0)
    return C.forward(host, port, tls, method, prefix + path, hdrs, body, connect_timeout=t, timeout=t)
