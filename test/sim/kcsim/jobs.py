"""The KusciaJob controller of a simulated Kuscia node (CONTRACTS.md §10 "Jobs", issue 5).

start(node) starts it and returns. It runs KusciaJobs far enough to be meaningful: no
KusciaTask and no pod is created; instead the initiator checks, with gw_jobs.check_job, that
every party is a known Domain, that the routes between the parties are Ready both ways and that
each party's input DomainData exists and is granted to the other parties (the other parties
answer over the route, see gw_jobs.py).

Only the initiator's node (spec.initiator == node.domain) acts on a job; upstream syncs the
job to the other parties, the simulator does not, and a job whose initiator is another domain
is left alone. On the initiator, for each job in namespace cross-domain that is not finished:

  (no phase) -- validate, as upstream's kusciaJobValidate: tasks present, every party a known
                Domain, the initiator a party of the first task, dependencies known and
                acyclic. Invalid: Failed at once, reason KusciaJobValidateFailed, message the
                first problem, condition JobValidated False (ValidateFailed).
                Valid: task IDs set where empty (upstream's <job>-<12 hex>), then Pending with
                startTime and condition JobValidated True.
  Pending    -- Running, taskStatus {<taskID>: Pending}.
  Running    -- check_job; ready: Succeeded (completionTime, taskStatus Succeeded). Not ready:
                retried, on every change of a Domain, route, DomainData or grant of this node
                and at least every retry interval, until the grace period is over; then Failed,
                reason PartyNotReady, message the first missing item (taskStatus Failed,
                completionTime).

Timing (every upstream interval divided by the time scale, node.interval):
  grace period = max(1 s, interval(R)), R = the largest tasks[].scheduleConfig.
                 resourceReservedSeconds, else upstream's default 30 s (how long a KusciaTask
                 waits for its parties): 1 s at --time-scale 50, 30 s unscaled. It counts from
                 the controller's first pass over the job, so a node restarted with a job still
                 Running gives it a whole grace period again.
  retry interval = interval(5) kept within [0.1 s, 2 s].
  resync        = interval(30), at least 0.5 s: every unfinished job gets a worker.

lastReconcileTime is written on every pass (RFC 3339 seconds, as upstream's Rfc3339Copy, so a
write happens at most once a second). A Succeeded or Failed job (or one with a completionTime,
or a phase this controller does not drive, such as Cancelled) is never touched again. Each
transition and each change of the first missing item is a line in the node log.
"""

import copy
import json
import threading
import time
import uuid

from . import gw_jobs as J
from . import gw_keys as K

KJ = "kusciajobs"
NS = "cross-domain"
DRIVEN = ("", "Initialized", "Pending", "Running")
FINISHED = ("Succeeded", "Failed")
WATCHED_KINDS = ("Domain", "ClusterDomainRoute", "DomainRoute", "DomainData", "DomainDataGrant")
DEFAULT_RESERVED_SECONDS = 30  # upstream's defaultResourceReservedSeconds
MIN_GAP = 0.05                 # seconds between two checks of one job

R_VALIDATE = "KusciaJobValidateFailed"
R_NOT_READY = "PartyNotReady"

_controllers = {}


def start(node):
    """Start the job controller of NODE; returns it."""
    ctl = Controller(node)
    _controllers[id(node)] = ctl
    ctl.start()
    return ctl


def controller(node):
    return _controllers.get(id(node))


def _now():
    return K.fmt_time()


def _phase(job):
    return ((job.get("status") or {}).get("phase") or "")


def _finished(job):
    st = job.get("status") or {}
    return bool(st.get("completionTime")) or (st.get("phase") or "") not in DRIVEN


def validate(node, job):
    """Upstream's kusciaJobValidate, with the simulator's wording for an unknown party (the
    same sentence gw_jobs.check_party uses). Returns None or the first problem."""
    spec = job.get("spec") or {}
    tasks = spec.get("tasks") or []
    if not tasks:
        return "kuscia job should include at least one of task"
    for p in J._parties(job):
        if node.store.get("domains", "", p) is None:
            return "Domain %s does not exist in %s" % (p, node.domain)
    if spec.get("initiator") not in [p.get("domainID") for p in tasks[0].get("parties") or []]:
        return "initiator should be one of task parties"
    aliases = set(t.get("alias") for t in tasks)
    for t in tasks:
        for d in t.get("dependencies") or []:
            if d not in aliases:
                return "validate failed: task %s has not exist dependency task %s" % (t.get("alias"), d)
    deps = {t.get("alias"): set(t.get("dependencies") or []) for t in tasks}
    while deps:
        free = [a for a, d in deps.items() if not d]
        if not free:
            return "validate failed: cycled dependencies"
        for a in free:
            del deps[a]
        for d in deps.values():
            d.difference_update(free)
    return None


def grace_seconds(node, job):
    reserved = 0
    for t in (job.get("spec") or {}).get("tasks") or []:
        try:
            reserved = max(reserved, int(((t.get("scheduleConfig") or {}).get("resourceReservedSeconds")) or 0))
        except (TypeError, ValueError):
            pass
    return max(1.0, float(node.interval(reserved if reserved > 0 else DEFAULT_RESERVED_SECONDS)))


def _task_ids(job):
    return [t.get("taskID") or t.get("alias") or "" for t in (job.get("spec") or {}).get("tasks") or []]


def _set_condition(st, ctype, status, reason="", message="", now=None):
    conds = [c for c in st.get("conditions") or [] if c.get("type") != ctype]
    old = next((c for c in st.get("conditions") or [] if c.get("type") == ctype), None)
    c = {"type": ctype, "status": status}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    c["lastTransitionTime"] = (old.get("lastTransitionTime") if old and old.get("status") == status
                               else None) or now or _now()
    conds.append(c)
    st["conditions"] = conds


class _Worker:
    """One unfinished job: a thread that reconciles it until it is finished or gone."""

    def __init__(self, name):
        self.name = name
        self.wake = threading.Event()
        self.uid = None
        self.deadline = None
        self.last_missing = None
        self.last_check = 0.0


class Controller:
    def __init__(self, node):
        self.node = node
        self.store = node.store
        self.domain = node.domain
        self.lock = threading.Lock()
        self.workers = {}
        self.stopped = False

    # timing ---------------------------------------------------------------------------------
    def iv(self, seconds):
        try:
            return float(self.node.interval(seconds))
        except Exception:
            return float(seconds)

    @property
    def retry(self):
        return min(2.0, max(0.1, self.iv(5)))

    @property
    def ask_timeout(self):
        return max(self.iv(10), 1.0)

    def log(self, level, msg):
        K.log(self.node, level, msg)

    def _stopping(self):
        ev = getattr(self.node, "stopping", None)
        return self.stopped or (ev is not None and ev.is_set())

    # life cycle ---------------------------------------------------------------------------
    def start(self):
        self.store.subscribe(self.on_event)
        threading.Thread(target=self._resync_loop, name="kcsim-jobs-resync", daemon=True).start()

    def stop(self):
        self.stopped = True
        with self.lock:
            for w in self.workers.values():
                w.wake.set()

    def _resync_loop(self):
        while not self._stopping():
            try:
                for job in self.store.list(KJ, NS):
                    if self._mine(job) and not _finished(job):
                        self.ensure(job["metadata"]["name"])
            except Exception as e:
                self.log("ERROR", "job controller: resync failed: %r" % (e,))
            time.sleep(max(0.5, self.iv(30)))

    def _mine(self, job):
        return (job.get("spec") or {}).get("initiator") == self.domain

    def on_event(self, event, obj):
        """store.subscribe callback: only start or wake workers (never touch the store here)."""
        if self.stopped:
            return
        try:
            kind = obj.get("kind")
            meta = obj.get("metadata") or {}
            if kind == "KusciaJob":
                # our own status writes come back here too: they must not wake the worker
                if meta.get("namespace") == NS and event != "DELETED" and self._mine(obj) \
                        and not _finished(obj):
                    self.ensure(meta.get("name"))
            elif kind in WATCHED_KINDS:
                with self.lock:
                    for w in self.workers.values():
                        w.wake.set()
        except Exception:
            pass

    def ensure(self, name):
        with self.lock:
            w = self.workers.get(name)
            if w is not None:
                return
            w = self.workers[name] = _Worker(name)
        threading.Thread(target=self._work, args=(w,), name="kcsim-job-%s" % name, daemon=True).start()

    def _work(self, w):
        while True:
            w.wake.clear()
            try:
                delay = self.reconcile(w)
            except Exception as e:  # a controller never dies of one object
                self.log("ERROR", "KusciaJob %s/%s: reconcile failed: %r" % (NS, w.name, e))
                delay = self.retry
            if self._stopping():
                delay = None
            if delay is not None:
                if delay > 0:
                    w.wake.wait(delay)
                continue
            with self.lock:
                # an event that arrived since the last read (a job deleted and made again)
                if w.wake.is_set() and not self._stopping():
                    continue
                del self.workers[w.name]
                return

    # one pass -------------------------------------------------------------------------------
    def _write(self, job, mutate):
        """Read-modify-write of the job's status; False on a conflict (retried next pass)."""
        st = copy.deepcopy(job.get("status") or {})
        mutate(st)
        if st == (job.get("status") or {}):
            return True
        try:
            self.store.update_status(KJ, NS, job["metadata"]["name"], st,
                                     resource_version=job["metadata"].get("resourceVersion"))
            return True
        except Exception as e:
            if getattr(e, "code", None) in (404, 409):
                return False
            raise

    def reconcile(self, w):
        """One pass over job W.name: None when there is nothing more to do, else the delay
        before the next pass (0 after a transition or a write conflict)."""
        job = self.store.get(KJ, NS, w.name)
        if job is None or not self._mine(job) or _finished(job):
            return None
        uid = job["metadata"].get("uid")
        if uid != w.uid:  # a new job (or one made again under the same name)
            w.uid, w.deadline, w.last_missing = uid, None, None
        name = "%s/%s" % (NS, w.name)
        now = _now()
        phase = _phase(job)

        if phase in ("", "Initialized"):
            problem = validate(self.node, job)
            if problem:
                def failed(st):
                    _set_condition(st, "JobValidated", "False", "ValidateFailed",
                                   "Validate job failed, %s" % problem, now)
                    st.update(phase="Failed", reason=R_VALIDATE, message=problem,
                              startTime=st.get("startTime") or now, completionTime=now,
                              lastReconcileTime=now)
                if self._write(job, failed):
                    self.log("WARN", "KusciaJob %s: validate failed: %s" % (name, problem))
                    self.log("INFO", "KusciaJob %s: phase %s -> Failed, reason %s, message: %s"
                             % (name, phase or '""', R_VALIDATE, problem))
                return 0
            if self._set_task_ids(job):
                return 0  # the job changed: read it again
            def pending(st):
                _set_condition(st, "JobValidated", "True", now=now)
                st.update(phase="Pending", startTime=st.get("startTime") or now, lastReconcileTime=now)
            if self._write(job, pending):
                self.log("INFO", "KusciaJob %s: phase %s -> Pending (initiator %s)"
                         % (name, phase or '""', self.domain))
            return 0

        if phase == "Pending":
            def running(st):
                st.update(phase="Running", startTime=st.get("startTime") or now, lastReconcileTime=now,
                          taskStatus={tid: "Pending" for tid in _task_ids(job)})
            if self._write(job, running):
                self.log("INFO", "KusciaJob %s: phase Pending -> Running, checking the parties %s"
                         % (name, ", ".join(J._parties(job))))
            return 0

        # Running
        if w.deadline is None:
            w.deadline = time.monotonic() + grace_seconds(self.node, job)
        # events can come in bursts (route heartbeats, many grants): one check per MIN_GAP at most
        pause = w.last_check + MIN_GAP - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        w.last_check = time.monotonic()
        ok, missing = J.check_job(self.node, job, self.ask_timeout)
        job2 = self.store.get(KJ, NS, w.name)  # the check may take a while: write on a fresh copy
        if job2 is None or job2["metadata"].get("uid") != uid or _finished(job2):
            return None
        job = job2
        now = _now()
        if ok:
            def succeeded(st):
                st.update(phase="Succeeded", completionTime=now, lastReconcileTime=now,
                          taskStatus={tid: "Succeeded" for tid in _task_ids(job)})
                st.pop("reason", None)
                st.pop("message", None)
            if self._write(job, succeeded):
                self.log("INFO", "KusciaJob %s: phase Running -> Succeeded, every party is ready" % name)
                return None
            return 0
        if missing != w.last_missing:
            w.last_missing = missing
            self.log("INFO", "KusciaJob %s: waiting for the parties: %s" % (name, missing))
        if time.monotonic() >= w.deadline:
            def failed(st):
                st.update(phase="Failed", reason=R_NOT_READY, message=missing, completionTime=now,
                          lastReconcileTime=now, taskStatus={tid: "Failed" for tid in _task_ids(job)})
            if self._write(job, failed):
                self.log("WARN", "KusciaJob %s: phase Running -> Failed, reason %s, message: %s"
                         % (name, R_NOT_READY, missing))
                return None
            return 0
        self._write(job, lambda st: st.update(lastReconcileTime=now))
        return self.retry

    def _set_task_ids(self, job):
        """Upstream's setJobTaskID: an empty taskID becomes <job name>-<last group of a UUID>.
        True when the job was updated (or changed under us)."""
        tasks = (job.get("spec") or {}).get("tasks") or []
        if all(t.get("taskID") for t in tasks):
            return False
        new = copy.deepcopy(job)
        for t in new["spec"]["tasks"]:
            if not t.get("taskID"):
                t["taskID"] = "%s-%s" % (job["metadata"]["name"], str(uuid.uuid4()).split("-")[-1])
        new.pop("status", None)
        try:
            self.store.update(new)
            self.log("INFO", "KusciaJob %s/%s: task IDs set: %s"
                     % (NS, job["metadata"]["name"], json.dumps([t["taskID"] for t in new["spec"]["tasks"]])))
        except Exception as e:
            if getattr(e, "code", None) not in (404, 409):
                raise
        return True
