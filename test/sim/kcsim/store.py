"""SQLite-backed object store of the simulated Kubernetes API (DIR/sim/store.sqlite).

Objects are plain dicts exactly as the API returns them. Namespace "" holds cluster-scoped
kinds. Reads come from an in-memory copy (one JSON string per object, indexed by kind); every
write goes to SQLite before it is visible (one statement for a single object; the running node
holds the database exclusively, WAL without fsync). Subscribers are called after the write,
outside the lock, all with one decoded copy of the object, which they must not modify.
"""

import json
import re
import sqlite3
import threading
import time
import uuid

GROUP = "kuscia.secretflow"
_RV_RE = re.compile(r'"resourceVersion":"([0-9]+)"')
VERSION = "v1alpha1"


class Kind:
    def __init__(self, plural, kind, group, version, namespaced, short=(), status=False, columns=()):
        self.plural = plural
        self.kind = kind
        self.group = group
        self.version = version
        self.namespaced = namespaced
        self.short = list(short)
        self.status = status  # has a status subresource
        self.columns = list(columns)  # (name, type, jsonpath) printer columns
        self.singular = kind.lower()

    @property
    def api_version(self):
        return self.group + "/" + self.version if self.group else self.version

    @property
    def resource(self):
        """plural.group as apiserver messages name it ("domains.kuscia.secretflow", "namespaces")."""
        return self.plural + "." + self.group if self.group else self.plural

    @property
    def kuscia(self):
        return self.group == GROUP


_ROUTE_COLS = [("Source", "string", ".spec.source"), ("Destination", "string", ".spec.destination"),
               ("Host", "string", ".spec.endpoint.host"), ("Authentication", "string", ".spec.authenticationType")]
_JOB_COLS = [("StartTime", "date", ".status.startTime"), ("CompletionTime", "date", ".status.completionTime"),
             ("LastReconcileTime", "date", ".status.lastReconcileTime"), ("Phase", "string", ".status.phase")]

KINDS = {k.plural: k for k in [
    Kind("domains", "Domain", GROUP, VERSION, False, status=True),
    Kind("clusterdomainroutes", "ClusterDomainRoute", GROUP, VERSION, False, ["cdr"], True,
         _ROUTE_COLS + [("Ready", "string", '.status.conditions[?(@.type=="Ready")].status')]),
    Kind("domainroutes", "DomainRoute", GROUP, VERSION, True, ["dr"], True, _ROUTE_COLS),
    Kind("domaindatas", "DomainData", GROUP, VERSION, True, ["kdd"], True),
    Kind("domaindatagrants", "DomainDataGrant", GROUP, VERSION, True, ["ddg"], True),
    Kind("domaindatasources", "DomainDataSource", GROUP, VERSION, True, ["dds"], True),
    Kind("kusciajobs", "KusciaJob", GROUP, VERSION, True, ["kj"], True, _JOB_COLS),
    Kind("kusciatasks", "KusciaTask", GROUP, VERSION, True, ["kt"], True, _JOB_COLS),
    Kind("gateways", "Gateway", GROUP, VERSION, True, ["gw"], True),
    Kind("namespaces", "Namespace", "", "v1", False, ["ns"], True),
    Kind("serviceaccounts", "ServiceAccount", "", "v1", True, ["sa"], False),
]}
BY_KIND = {k.kind: k for k in KINDS.values()}


class ApiError(Exception):
    """An error the API answers as a Kubernetes Status object."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": self.message, "reason": self.reason}
        if self.details is not None:
            st["details"] = self.details
        st["code"] = self.code
        return st


_stamp = (None, "")  # (second, its RFC 3339 text): formatted once a second


def now_rfc3339():
    global _stamp
    t = int(time.time())
    sec, text = _stamp
    if sec != t:
        text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        _stamp = (t, text)
    return text


def _details(kind, name):
    d = {"name": name}
    if kind.group:
        d["group"] = kind.group
    d["kind"] = kind.plural
    return d


def not_found(kind, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (kind.resource, name), _details(kind, name))


def already_exists(kind, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (kind.resource, name), _details(kind, name))


def conflict(kind, name):
    return ApiError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; please apply your '
                    'changes to the latest version and try again' % (kind.resource, name), _details(kind, name))


# ---- label selectors -------------------------------------------------------------------------

_SEL_RE = re.compile(r"""\s*(?:
      (?P<notexists>!\s*(?P<nk>[A-Za-z0-9_./-]+))
    | (?P<key>[A-Za-z0-9_./-]+)\s*(?:
          (?P<op>==|=|!=)\s*(?P<val>[A-Za-z0-9_.-]*)
        | \s(?P<setop>in|notin)\s*\((?P<set>[^)]*)\)
      )?
    )\s*(?:,|$)""", re.X)


def parse_selector(sel):
    """Parse a label selector string into a list of (key, op, values). Raises ValueError."""
    out = []
    if sel is None:
        return out
    if isinstance(sel, dict):
        return [(k, "=", [v]) for k, v in sel.items()]
    s = sel.strip()
    pos = 0
    while pos < len(s):
        m = _SEL_RE.match(s, pos)
        if not m or m.end() == pos:
            raise ValueError("unable to parse requirement: %r" % s[pos:])
        if m.group("notexists"):
            out.append((m.group("nk"), "!", []))
        elif m.group("op"):
            out.append((m.group("key"), "!=" if m.group("op") == "!=" else "=", [m.group("val")]))
        elif m.group("setop"):
            vals = [v.strip() for v in m.group("set").split(",") if v.strip()]
            out.append((m.group("key"), m.group("setop"), vals))
        else:
            out.append((m.group("key"), "exists", []))
        pos = m.end()
    return out


def selector_matches(reqs, labels):
    labels = labels or {}
    for key, op, vals in reqs:
        has = key in labels
        v = labels.get(key)
        if op == "=" and not (has and v == vals[0]):
            return False
        if op == "!=" and has and v == vals[0]:
            return False
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
        if op == "in" and not (has and v in vals):
            return False
        if op == "notin" and has and v in vals:
            return False
    return True


def parse_field_selector(sel):
    """Only metadata.name and metadata.namespace (= / == / !=), as kubectl uses them."""
    out = []
    if not sel:
        return out
    for part in sel.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$", part)
        if not m:
            raise ValueError("invalid selector: '%s'; can't understand '%s'" % (sel, part))
        field, op, val = m.groups()
        if field not in ("metadata.name", "metadata.namespace"):
            raise ValueError('field label not supported: %s' % field)
        out.append((field.split(".")[1], op != "!=", val))
    return out


# ---- the store -------------------------------------------------------------------------------

class Store:
    def __init__(self, path):
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # the node's process is the store's only user while it runs: holding the lock for good
        # spares every write its file locking (and the WAL index lives in memory, not in -shm)
        self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
        self._db.execute("PRAGMA journal_mode=WAL")
        # no fsync: a write is in the OS's hands when the API answers, which outlives the simulator
        # process (kill -9 included); only a machine crash could lose it, and test nodes are scratch
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE IF NOT EXISTS objects (plural TEXT, ns TEXT, name TEXT, data TEXT,"
                         " PRIMARY KEY (plural, ns, name))")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT)")
        self._objs = {}  # (plural, ns, name) -> JSON text
        self._by_plural = {p: {} for p in KINDS}  # plural -> {(plural, ns, name): JSON text}
        rv = 0
        for plural, ns, name, data in self._db.execute("SELECT plural, ns, name, data FROM objects"):
            key = (plural, ns, name)
            self._objs[key] = data
            self._by_plural.setdefault(plural, {})[key] = data
            for m in _RV_RE.finditer(data):
                rv = max(rv, int(m.group(1)))
        row = self._db.execute("SELECT v FROM meta WHERE k='rv'").fetchone()
        # the counter: the meta row (written with deletions) or the newest object, whichever is later
        self._rv = max(int(row[0]) if row else 0, rv)
        self._subs = []

    def close(self):
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error:
                pass

    # -- helpers
    @staticmethod
    def kind_of(plural):
        k = KINDS.get(plural)
        if k is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
        return k

    @staticmethod
    def _key(kind, namespace, name):
        return (kind.plural, namespace if kind.namespaced else "", name)

    def _next_rv(self):
        self._rv += 1
        return str(self._rv)

    def resource_version(self):
        with self._lock:
            return str(self._rv)

    def _write(self, changes):
        """changes: list of (key, data-or-None). One transaction, then the cache.
        A single create or update is one statement (SQLite's own transaction): the object carries
        the new resourceVersion, so the counter is only written beside deletions."""
        if len(changes) == 1 and changes[0][1] is not None:
            (plural, ns, name), data = changes[0]
            self._db.execute("INSERT OR REPLACE INTO objects VALUES (?,?,?,?)", (plural, ns, name, data))
        else:
            cur = self._db.cursor()
            cur.execute("BEGIN")
            try:
                for (plural, ns, name), data in changes:
                    if data is None:
                        cur.execute("DELETE FROM objects WHERE plural=? AND ns=? AND name=?", (plural, ns, name))
                    else:
                        cur.execute("INSERT OR REPLACE INTO objects VALUES (?,?,?,?)", (plural, ns, name, data))
                cur.execute("INSERT OR REPLACE INTO meta VALUES ('rv', ?)", (str(self._rv),))
                cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
        for key, data in changes:
            index = self._by_plural.setdefault(key[0], {})
            if data is None:
                self._objs.pop(key, None)
                index.pop(key, None)
            else:
                self._objs[key] = data
                index[key] = data

    def _emit(self, events):
        """events: (type, JSON text). Every subscriber gets the same decoded object (they only read)."""
        if not self._subs:
            return
        for ev, data in events:
            obj = json.loads(data)
            for fn in list(self._subs):
                try:
                    fn(ev, obj)
                except Exception:  # a subscriber must not break the writer
                    pass

    def subscribe(self, fn):
        self._subs.append(fn)

    # -- reads
    def get(self, plural, namespace, name):
        kind = self.kind_of(plural)
        data = self._objs.get(self._key(kind, namespace or "", name))
        return json.loads(data) if data is not None else None

    def get_raw(self, plural, namespace, name):
        """The JSON text of an object (json.dumps of what get returns), or None."""
        return self._objs.get(self._key(self.kind_of(plural), namespace or "", name))

    def list_raw(self, plural, namespace=None):
        """JSON texts of a kind's objects (all, or one namespace's), ordered by namespace and name."""
        kind = self.kind_of(plural)
        with self._lock:
            index = self._by_plural.get(plural) or {}
            if namespace and kind.namespaced:
                items = [(k, v) for k, v in index.items() if k[1] == namespace]
            else:
                items = list(index.items())
        items.sort(key=lambda kv: (kv[0][1], kv[0][2]))
        return items

    def list(self, plural, namespace=None, label_selector=None, field_selector=None):
        self.kind_of(plural)
        reqs = parse_selector(label_selector) if label_selector else []
        freqs = parse_field_selector(field_selector) if field_selector else []
        out = []
        for (_, ns, name), data in self.list_raw(plural, namespace):
            ok = True
            for field, eq, val in freqs:
                have = name if field == "name" else ns
                if (have == val) != eq:
                    ok = False
            if not ok:
                continue
            obj = json.loads(data)
            if reqs and not selector_matches(reqs, obj.get("metadata", {}).get("labels")):
                continue
            out.append(obj)
        return out

    # -- writes
    def create(self, obj, raw=False):
        """Store a new object; returns it (raw: as its JSON text)."""
        kind = BY_KIND.get(obj.get("kind", ""))
        if kind is None:
            raise ApiError(400, "BadRequest", "unknown kind %r" % obj.get("kind"))
        # only the top level and metadata change here: shallow copies keep the caller's object as it was
        obj = dict(obj)
        meta = obj["metadata"] = dict(obj["metadata"]) if "metadata" in obj else {}
        name = meta.get("name", "")
        ns = meta.get("namespace", "") if kind.namespaced else ""
        if not kind.namespaced:
            meta.pop("namespace", None)
        with self._lock:
            key = self._key(kind, ns, name)
            if key in self._objs:
                raise already_exists(kind, name)
            if kind.namespaced and ("namespaces", "", ns) not in self._objs:
                raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                               {"name": ns, "kind": "namespaces"})
            obj["apiVersion"] = kind.api_version
            obj["kind"] = kind.kind
            meta["uid"] = str(uuid.uuid4())
            meta["resourceVersion"] = self._next_rv()
            meta["creationTimestamp"] = now_rfc3339()
            if kind.kuscia:
                meta["generation"] = 1
            else:
                meta.pop("generation", None)
            for sysf in ("deletionTimestamp", "selfLink"):
                meta.pop(sysf, None)
            data = json.dumps(obj, separators=(",", ":"))
            self._write([(key, data)])
        self._emit([("ADDED", data)])
        return data if raw else json.loads(data)

    def update(self, obj, raw=False):
        """Replace an object (not its status); returns the result (raw: as its JSON text)."""
        kind = BY_KIND.get(obj.get("kind", ""))
        if kind is None:
            raise ApiError(400, "BadRequest", "unknown kind %r" % obj.get("kind"))
        obj = json.loads(json.dumps(obj))
        meta = obj.setdefault("metadata", {})
        name = meta.get("name", "")
        ns = meta.get("namespace", "") if kind.namespaced else ""
        with self._lock:
            key = self._key(kind, ns, name)
            text = self._objs.get(key)
            if text is None:
                raise not_found(kind, name)
            cur = json.loads(text)
            cmeta = cur["metadata"]
            rv = meta.get("resourceVersion")
            if rv and rv != cmeta.get("resourceVersion"):
                raise conflict(kind, name)
            new = {k: v for k, v in obj.items() if k != "status"}
            if "status" in cur:
                new["status"] = cur["status"]
            new["apiVersion"] = kind.api_version
            new["kind"] = kind.kind
            nmeta = new["metadata"]
            for sysf in ("uid", "creationTimestamp"):
                if sysf in cmeta:
                    nmeta[sysf] = cmeta[sysf]
            if not kind.namespaced:
                nmeta.pop("namespace", None)
            else:
                nmeta["namespace"] = ns
            if kind.kuscia:
                gen = cmeta.get("generation", 1)
                if cur.get("spec") != new.get("spec"):
                    gen += 1
                nmeta["generation"] = gen
            nmeta.pop("resourceVersion", None)
            if _same_but_rv(cur, new):
                return text if raw else cur  # no-op update: resourceVersion unchanged, as the apiserver does
            nmeta["resourceVersion"] = self._next_rv()
            data = json.dumps(new, separators=(",", ":"))
            self._write([(key, data)])
        self._emit([("MODIFIED", data)])
        return data if raw else new  # new is a private copy: the store and the subscribers have their own

    def update_status(self, plural, namespace, name, status, resource_version=None):
        kind = self.kind_of(plural)
        with self._lock:
            key = self._key(kind, namespace or "", name)
            cur = self._objs.get(key)
            if cur is None:
                raise not_found(kind, name)
            cur = json.loads(cur)
            if resource_version and resource_version != cur["metadata"].get("resourceVersion"):
                raise conflict(kind, name)
            if cur.get("status") == status:
                return cur
            if status is None:
                cur.pop("status", None)
            else:
                cur["status"] = json.loads(json.dumps(status))
            cur["metadata"]["resourceVersion"] = self._next_rv()
            data = json.dumps(cur, separators=(",", ":"))
            self._write([(key, data)])
        self._emit([("MODIFIED", data)])
        return cur  # a private copy: the store and the subscribers have their own

    def delete(self, plural, namespace, name, resource_version=None, uid=None):
        """Delete one object and, as the garbage collector and the namespace controller do,
        everything it owns (ownerReferences) and, for a namespace, everything in it."""
        kind = self.kind_of(plural)
        events = []
        with self._lock:
            key = self._key(kind, namespace or "", name)
            cur = self._objs.get(key)
            if cur is None:
                raise not_found(kind, name)
            cur = json.loads(cur)
            if resource_version and resource_version != cur["metadata"].get("resourceVersion"):
                raise conflict(kind, name)
            if uid and uid != cur["metadata"].get("uid"):
                raise ApiError(409, "Conflict",
                               'Operation cannot be fulfilled on %s "%s": Precondition failed: UID in precondition: '
                               '%s, UID in object meta: %s' % (kind.resource, name, uid, cur["metadata"].get("uid")),
                               _details(kind, name))
            doomed = {key: cur}
            queue = [cur]
            while queue:
                o = queue.pop()
                ouid = o["metadata"].get("uid")
                okind = BY_KIND[o["kind"]]
                for k, data in self._objs.items():
                    if k in doomed:
                        continue
                    if okind.plural == "namespaces" and KINDS[k[0]].namespaced and k[1] == o["metadata"]["name"]:
                        child = json.loads(data)
                    elif ouid and ouid in data:
                        child = json.loads(data)
                        refs = child.get("metadata", {}).get("ownerReferences") or []
                        if not any(r.get("uid") == ouid for r in refs):
                            continue
                    else:
                        continue
                    doomed[k] = child
                    queue.append(child)
            rv = self._next_rv()
            self._write([(k, None) for k in doomed])
            for k, o in doomed.items():
                o["metadata"]["resourceVersion"] = rv
                events.append(("DELETED", json.dumps(o, separators=(",", ":"))))
        self._emit(events)
        return cur


def _same_but_rv(a, b):
    """a == b but for metadata.resourceVersion (both plain JSON values, metadata a dict)."""
    if a.keys() != b.keys():
        return False
    for k, x in a.items():
        y = b[k]
        if k == "metadata" and isinstance(x, dict) and isinstance(y, dict):
            if x.keys() - {"resourceVersion"} != y.keys() - {"resourceVersion"}:
                return False
            for mk, mx in x.items():
                if mk != "resourceVersion" and mx != y[mk]:
                    return False
        elif x != y:
            return False
    return True
