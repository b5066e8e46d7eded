"""One simulated Kuscia autonomy node: its folder, store, listeners and controllers."""

import base64
import datetime
import json
import os
import re
import signal
import threading
import time

from . import httpserver
from .patch import yaml_load
from .store import Store

LISTENERS = ("api", "kusciaapi", "gateway")


def atomic_write(path, data, mode=0o644):
    if isinstance(data, str):
        data = data.encode()
    tmp = "%s.tmp.%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_conf(root):
    with open(os.path.join(root, "etc", "conf", "kuscia.yaml")) as f:
        return yaml_load(f.read()) or {}


class Node:
    def __init__(self, root, time_scale=1.0):
        self.root = os.path.abspath(root)
        conf = read_conf(self.root)
        self.conf = conf
        self.domain = str(conf.get("domainID", ""))
        proto = str(conf.get("protocol") or "MTLS").upper()
        if proto not in ("NOTLS", "TLS", "MTLS"):
            raise ValueError("Kuscia configuration: protocol: %s is unsupported, supported: NOTLS/TLS/MTLS" % proto)
        self.protocol = proto
        self.time_scale = float(time_scale) if time_scale else 1.0
        self.store = None
        self.ports = {}
        self.listeners = {}
        self.k8s = None  # kcsim.k8s.K8sApi once the API listener exists (mint_token(...))
        self.stopping = threading.Event()
        self.ca_cert = self.path("var/certs/ca.crt")
        self.ca_key = self.path("var/certs/ca.key")
        self.domain_cert = self.path("var/certs/domain.crt")
        self.domain_key = self.path("var/certs/domain.key")
        self.token_file = self.path("var/certs/token")
        self.kusciaapi_cert = self.path("var/certs/kusciaapi-server.crt")
        self.kusciaapi_key = self.path("var/certs/kusciaapi-server.key")
        self.gateway_cert = self.path("sim/certs/external_tls.crt")
        self.gateway_key = self.path("sim/certs/external_tls.key")
        self.apiserver_cert = self.path("sim/certs/apiserver.crt")
        self.apiserver_key = self.path("sim/certs/apiserver.key")
        self._log_lock = threading.Lock()
        self._faults = {}
        self._faults_stamp = None
        self._faults_lock = threading.Lock()

    # ---- small helpers used by every module --------------------------------------------------------
    def path(self, rel):
        return self.root + "/" + rel

    def interval(self, seconds):
        return seconds / self.time_scale

    def log(self, level, msg):
        ts = datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")
        line = "%s %s %s\n" % (ts, level.upper(), msg)
        with self._log_lock:
            try:
                with open(self.path("var/logs/kuscia.log"), "a") as f:
                    f.write(line)
            except OSError:
                pass

    def open_store(self):
        if self.store is None:
            os.makedirs(self.path("sim"), exist_ok=True)
            self.store = Store(self.path("sim/store.sqlite"))
        return self.store

    # ---- faults ------------------------------------------------------------------------------------
    def _load_faults(self):
        p = self.path("sim/faults.json")
        try:
            st = os.stat(p)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        with self._faults_lock:
            if stamp == self._faults_stamp:
                return self._faults
            try:
                with open(p) as f:
                    self._faults = json.load(f)
            except (OSError, ValueError):
                self._faults = {}
            self._faults_stamp = stamp
            return self._faults

    def fault(self, listener):
        """Current fault of a listener ("none" when unset), re-read from sim/faults.json."""
        return str(self._load_faults().get(listener) or "none")

    def apply_faults(self):
        faults = self._load_faults()
        for name, lst in self.listeners.items():
            f = str(faults.get(name) or "none")
            if f == "down":
                lst.suspend()
            elif lst.down:
                lst.resume()
        seq = faults.get("seq")
        if seq is not None:
            try:
                atomic_write(self.path("sim/faults.ack"), str(seq))
            except OSError:
                pass

    # ---- start-up ------------------------------------------------------------------------------
    def _optional(self, name):
        try:
            mod = __import__("kcsim." + name, fromlist=[name])
            return mod
        except ImportError as e:
            if getattr(e, "name", None) not in ("kcsim." + name,):
                raise
            return None

    def _handlers(self):
        from . import k8s
        handlers = {"api": k8s.make_handler(self)}
        gw = self._optional("gateway")
        if gw is not None:
            handlers["gateway"] = gw.make_handler(self)
        else:
            domain = self.domain

            def gateway_401(req):
                body = json.dumps({"domain": domain, "instance": "kc-sim", "kuscia": "v0.0.0-sim",
                                   "reason": "unauthorized."}) + "\n"
                return httpserver.Response(401, body, {"server": "kuscia-gateway", "x-accel-buffering": "no",
                                                       "kuscia-error-message": "<%s/kc-sim/external $$ Unauthorized>"
                                                       % domain}, "text/plain")
            handlers["gateway"] = gateway_401
        ka = self._optional("kusciaapi")
        if ka is not None:
            handlers["kusciaapi"] = ka.make_handler(self)
        else:
            handlers["kusciaapi"] = lambda req: httpserver.Response(503, b"", content_type=None)
        return handlers

    def _contexts(self):
        api = httpserver.tls_context(self.apiserver_cert, self.apiserver_key, self.ca_cert, "optional")
        if self.protocol == "NOTLS":
            return {"api": api, "kusciaapi": None, "gateway": None}
        ka = httpserver.tls_context(self.kusciaapi_cert, self.kusciaapi_key, self.ca_cert,
                                    "required" if self.protocol == "MTLS" else "none")
        gw = httpserver.tls_context(self.gateway_cert, self.gateway_key)
        return {"api": api, "kusciaapi": ka, "gateway": gw}

    def sync_own_domain(self):
        """Kuscia writes base64 of domain.crt into its own Domain at every start."""
        try:
            with open(self.domain_cert, "rb") as f:
                cert = base64.b64encode(f.read()).decode()
        except OSError:
            return
        from .store import ApiError
        for ns in (self.domain, "cross-domain"):
            if self.store.get("namespaces", "", ns) is None:
                try:
                    self.store.create({"apiVersion": "v1", "kind": "Namespace",
                                       "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                                       "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
                except ApiError:
                    pass
        cur = self.store.get("domains", "", self.domain)
        if cur is None:
            self.store.create({"apiVersion": "kuscia.secretflow/v1alpha1", "kind": "Domain",
                               "metadata": {"name": self.domain}, "spec": {"cert": cert}})
        elif (cur.get("spec") or {}).get("cert") != cert:
            cur.setdefault("spec", {})["cert"] = cert
            cur["metadata"].pop("resourceVersion", None)
            self.store.update(cur)

    def _update_files(self):
        kc = self.path("etc/kubeconfig")
        try:
            with open(kc) as f:
                text = f.read()
            text = re.sub(r"(server: https://127\.0\.0\.1:)\d+", r"\g<1>%d" % self.ports["api"], text)
            atomic_write(kc, text, 0o600)
        except OSError as e:
            self.log("WARN", "cannot update kubeconfig: %s" % e)
        ky = self.path("etc/conf/kuscia.yaml")
        try:
            with open(ky) as f:
                text = f.read()
            if re.search(r"(?m)^\s+HTTPPort:\s*\d+", text):
                text = re.sub(r"(?m)^(\s+HTTPPort:\s*)\d+", r"\g<1>%d" % self.ports["kusciaapi"], text)
            else:
                text = text.rstrip("\n") + "\nkusciaAPI:\n  HTTPPort: %d\n" % self.ports["kusciaapi"]
            atomic_write(ky, text, os.stat(ky).st_mode & 0o777)
        except OSError as e:
            self.log("WARN", "cannot update kuscia.yaml: %s" % e)

    def start(self, ports=None):
        """Open the store, bind every listener, start controllers, write ports.json."""
        ports = ports or {}
        self.open_store()
        self.sync_own_domain()
        handlers = self._handlers()
        ctxs = self._contexts()
        for name in LISTENERS:
            lst = httpserver.Listener(name, handlers[name], port=int(ports.get(name) or 0), ssl_context=ctxs[name],
                                      fault=(lambda n=name: self.fault(n)), log=self.log,
                                      status_json=(name == "api"))
            try:
                lst.start()
            except OSError as e:
                raise RuntimeError("cannot listen on 127.0.0.1:%d for %s: %s -- choose another port or 0"
                                   % (lst.port, name, e.strerror or e))
            self.listeners[name] = lst
            self.ports[name] = lst.port
        self._update_files()
        from . import controllers
        controllers.start(self)
        routes = self._optional("routes")
        if routes is not None:
            routes.start(self)
        self.apply_faults()
        atomic_write(self.path("sim/kc-sim.pid"), "%d\n" % os.getpid())
        info = dict(self.ports, pid=os.getpid())
        atomic_write(self.path("sim/ports.json"), json.dumps(info) + "\n")
        self.log("INFO", "kc-sim node %s started (protocol %s): api %d, kusciaapi %d, gateway %d, time scale %g"
                 % (self.domain, self.protocol, self.ports["api"], self.ports["kusciaapi"], self.ports["gateway"],
                    self.time_scale))

    def serve_forever(self):
        """Wait for SIGTERM/SIGINT (stop) and SIGUSR1 (faults changed; also polled)."""
        sigs = {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1}
        while not self.stopping.is_set():
            got = signal.sigtimedwait(sigs, 0.2)
            if got is not None and got.si_signo in (signal.SIGTERM, signal.SIGINT):
                break
            self.apply_faults()
        self.shutdown()

    def shutdown(self):
        self.log("INFO", "kc-sim node %s stopping" % self.domain)
        self.stopping.set()
        for lst in self.listeners.values():
            lst.close()
        if self.store is not None:
            self.store.close()
        for f in ("sim/ports.json", "sim/kc-sim.pid"):
            try:
                os.unlink(self.path(f))
            except OSError:
                pass


def run_node(root, ports, time_scale):
    # every thread inherits this mask: the main thread takes the signals with sigtimedwait
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
    node = Node(root, time_scale)
    try:
        node.start(ports)
    except Exception as e:
        node.log("ERROR", "kc-sim start failed: %s" % e)
        try:
            atomic_write(node.path("sim/start.err"), "%s\n" % e)
        except OSError:
            pass
        for lst in node.listeners.values():
            lst.close()
        raise
    node.serve_forever()
    # give in-flight responses a moment; threads are daemons
    time.sleep(0.01)
