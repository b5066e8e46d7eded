"""Job party checks of the simulator (CONTRACTS.md §10 "Jobs", issue 5 "Simulator: jobs").

Each node checks its own party of a KusciaJob; the initiator asks every other party over the
route, with the handshake's token, on the simulator-only gateway path

    POST /kcsim/v1/job/party-check      body {"job": <the KusciaJob object>}
    200 {"domain": <checked party>, "ok": bool, "missing": [<item>, ...]}

(401 from the gateway when the route token is not valid; 403 when the caller is not a party).

    check_party(node, job) -> list of missing items, [] when this node's party is ready
    ask_party(node, peer, job) -> (ok, missing, error)   # over the route <self>-<peer>
    check_job(node, job) -> (ok, message)   # the initiator: own party, then every other party;
                                            # message names the first missing item

A party is ready when: every party of its tasks is a known Domain here; the routes between this
node and every other party are Ready both ways (CDR <self>-<p> and <p>-<self>); and each of its
input DomainData (taskInputConfig's sf_input_ids) exists and is granted to every other party.
The items are sentences naming the object, the first one is what a failed job's message names.
"""

import json
import time

from . import gw_keys as K


def _parties(job):
    out = []
    for t in (job.get("spec") or {}).get("tasks") or []:
        for p in t.get("parties") or []:
            d = p.get("domainID")
            if d and d not in out:
                out.append(d)
    return out


def _inputs(task, me):
    """IDs of the DomainData this party feeds into TASK (sf_input_ids; with one ID per party of
    sf_cluster_desc.parties, the one at our index; otherwise every ID listed)."""
    try:
        cfg = json.loads(task.get("taskInputConfig") or "{}")
    except ValueError:
        return []
    if not isinstance(cfg, dict):
        return []
    ids = [i for i in cfg.get("sf_input_ids") or [] if isinstance(i, str)]
    order = ((cfg.get("sf_cluster_desc") or {}).get("parties") or
             [p.get("domainID") for p in task.get("parties") or []])
    if ids and len(ids) == len(order) and me in order:
        return [ids[order.index(me)]]
    return ids


def _ready(store, name):
    cdr = store.get("clusterdomainroutes", "", name)
    for c in ((cdr or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def _granted(store, ns, ddid, to):
    now = time.time()
    for g in store.list("domaindatagrants", ns):
        spec = g.get("spec") or {}
        if spec.get("domainDataID") != ddid or spec.get("grantDomain") != to:
            continue
        if ((g.get("status") or {}).get("phase") or "") == "Unavailable":
            continue
        exp = K.parse_time(((spec.get("limit") or {}).get("expirationTime")))
        if exp is not None and exp <= now:
            continue
        return True
    return False


def check_party(node, job):
    """What is missing for this node's party of JOB (a KusciaJob dict); [] when nothing."""
    me, store = node.domain, node.store
    missing = []
    parties = _parties(job)
    if me not in parties:
        return ["%s is not a party of job %s" % (me, (job.get("metadata") or {}).get("name", ""))]
    others = [p for p in parties if p != me]
    for p in parties:
        if store.get("domains", "", p) is None:
            missing.append("Domain %s does not exist in %s" % (p, me))
    for p in others:
        for name in ("%s-%s" % (me, p), "%s-%s" % (p, me)):
            if not _ready(store, name):
                missing.append("ClusterDomainRoute %s in %s is not Ready" % (name, me))
    for t in (job.get("spec") or {}).get("tasks") or []:
        tparties = [p.get("domainID") for p in t.get("parties") or []]
        if me not in tparties:
            continue
        for ddid in _inputs(t, me):
            if store.get("domaindatas", me, ddid) is None:
                item = "DomainData %s does not exist in %s" % (ddid, me)
                if item not in missing:
                    missing.append(item)
                continue
            for p in tparties:
                if p != me and not _granted(store, me, ddid, p):
                    item = "DomainData %s of %s is not granted to %s" % (ddid, me, p)
                    if item not in missing:
                        missing.append(item)
    return missing


def party_check_path(node, req, source):
    """The gateway path: SOURCE (authenticated by its route token) asks about our party."""
    from .httpserver import Response
    try:
        body = json.loads(req.body or b"{}")
        job = body.get("job") if isinstance(body, dict) else None
        if not isinstance(job, dict):
            raise ValueError("body must be {\"job\": <KusciaJob>}")
    except ValueError as e:
        return Response(400, {"domain": node.domain, "error": str(e)})
    if source not in _parties(job):
        return Response(403, {"domain": node.domain, "error": "%s is not a party of the job" % source})
    missing = check_party(node, job)
    return Response(200, {"domain": node.domain, "ok": not missing, "missing": missing})


def ask_party(node, peer, job, timeout=None):
    """Ask PEER over our route with its token: (ok, missing, error). error is a sentence when
    the peer could not be asked (no usable route, refused, not a Kuscia answer)."""
    from . import routes
    res = routes.peer_request(node, peer, "POST", "/kcsim/v1/job/party-check", {"job": job}, timeout)
    if res.error:
        return False, [], res.error
    if res.status != 200:
        return False, [], "party %s answered HTTP %d: %s" % (peer, res.status, res.detail().strip())
    try:
        ans = json.loads(res.body)
        return bool(ans.get("ok")), list(ans.get("missing") or []), None
    except (ValueError, AttributeError):
        return False, [], "party %s answered no JSON" % peer


def check_job(node, job, timeout=None):
    """What the initiator runs before it lets JOB succeed: its own party, then every other
    party over the route. (True, "") or (False, <the first missing item>)."""
    missing = check_party(node, job)
    if missing:
        return False, missing[0]
    for p in _parties(job):
        if p == node.domain:
            continue
        ok, items, err = ask_party(node, p, job, timeout)
        if err:
            return False, "party %s could not be asked: %s" % (p, err)
        if not ok:
            return False, items[0] if items else "party %s is not ready" % p
    return True, ""
