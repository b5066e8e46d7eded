"""A small threaded HTTP/1.1 server for the simulator's listeners.

One thread per connection, keep-alive, TCP_NODELAY, every response written with a single
sendall (status line, headers and body together), optional TLS with an optional or required
client certificate verified against the node CA, and the fault switches of `kc-sim fault`
checked on every connection and request:

  none       normal service
  down       the listening socket is closed (connect: refused); open connections are dropped
  refuse     connections are accepted and reset at once (RST)
  blackhole  connections are accepted, requests read and never answered
  slow=S     every answer is delayed S seconds (fractions allowed)
  status=N   every request is answered with status N (the API: a Status body; others: empty)
  close-mid  the connection is closed after half of the response bytes
  bad-json   the body is cut in half (Content-Length of the cut body): truncated JSON
"""

import email.utils
import json
import socket
import ssl
import struct
import threading
import time
import urllib.parse


REASONS = {
    100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    409: "Conflict", 410: "Gone", 413: "Request Entity Too Large", 415: "Unsupported Media Type",
    422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}

MAX_HEADER = 1 << 20
MAX_BODY = 64 << 20
IDLE_TIMEOUT = 300


class Request:
    __slots__ = ("method", "path", "raw_path", "query", "headers", "body", "client_cert", "peer", "version",
                 "listener")

    def __init__(self):
        self.method = ""
        self.path = ""
        self.raw_path = ""
        self.query = {}
        self.headers = {}
        self.body = b""
        self.client_cert = None
        self.peer = ("", 0)
        self.version = "HTTP/1.1"
        self.listener = ""

    def param(self, name, default=None):
        """First value of a query parameter."""
        v = self.query.get(name)
        return v[0] if v else default


_date = (None, "")  # (second, its HTTP date): formatted once a second


def http_date():
    global _date
    t = int(time.time())
    sec, text = _date
    if sec != t:
        text = email.utils.formatdate(t, usegmt=True)
        _date = (t, text)
    return text


class Response:
    def __init__(self, status, body=b"", headers=None, content_type="application/json"):
        self.status = status
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":")).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.body = body or b""
        self.headers = dict(headers or {})
        self.content_type = content_type
        self.stream = None  # an iterator of chunks: a chunked (streamed) answer

    def encode(self, head_only=False, keep_alive=True, body=None, chunked=False):
        body = self.body if body is None else body
        lines = ["HTTP/1.1 %d %s" % (self.status, REASONS.get(self.status, "Status"))]
        names = {k.lower() for k in self.headers}
        if self.content_type and "content-type" not in names:
            lines.append("Content-Type: " + self.content_type)
        for k, v in self.headers.items():
            if k.lower() == "content-length":
                continue
            if isinstance(v, (list, tuple)):
                for one in v:
                    lines.append("%s: %s" % (k, one))
            else:
                lines.append("%s: %s" % (k, v))
        if "date" not in names:
            lines.append("Date: " + http_date())
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append("Content-Length: %d" % len(body))
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head if head_only else head + body


def status_body(code, message, reason=None):
    reason = reason or REASONS.get(code, "Unknown").replace(" ", "")
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


class _Closed(Exception):
    pass


def parse_fault(spec):
    """Return (name, arg) of a fault string; ValueError when it is not one."""
    spec = (spec or "none").strip()
    if spec in ("none", "down", "refuse", "blackhole", "close-mid", "bad-json"):
        return spec, None
    if spec.startswith("slow="):
        v = float(spec[5:])
        if v < 0 or v != v:
            raise ValueError(spec)
        return "slow", v
    if spec.startswith("status="):
        v = int(spec[7:])
        if not 100 <= v <= 599:
            raise ValueError(spec)
        return "status", v
    raise ValueError(spec)


class Listener:
    """One listening socket on 127.0.0.1 serving handler(Request) -> Response."""

    def __init__(self, name, handler, port=0, host="127.0.0.1", ssl_context=None, fault=None, log=None,
                 status_json=False):
        self.name = name
        self.handler = handler
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.fault = fault or (lambda: "none")
        self.log = log or (lambda level, msg: None)
        self.status_json = status_json
        self._sock = None
        self._stop = False
        self._conns = set()
        self._lock = threading.Lock()
        self._thread = None
        self.down = False

    # -- lifecycle
    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(128)
        self.port = s.getsockname()[1]
        self._sock = s
        self.down = False
        self._thread = threading.Thread(target=self._accept_loop, args=(s,), name="accept-" + self.name, daemon=True)
        self._thread.start()

    def _close_sock(self):
        s, self._sock = self._sock, None
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def drop_connections(self, rst=False):
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                if rst:
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def suspend(self):
        """Fault `down`: stop listening (connections are refused) and drop open connections."""
        if self.down:
            return
        self.down = True
        self._close_sock()
        self.drop_connections()

    def resume(self):
        if not self.down:
            return
        for _ in range(100):
            try:
                self.start()
                return
            except OSError:
                time.sleep(0.02)
        self.log("ERROR", "listener %s: cannot listen again on port %d" % (self.name, self.port))

    def close(self):
        self._stop = True
        self._close_sock()
        self.drop_connections()

    # -- serving
    def _accept_loop(self, s):
        while not self._stop:
            try:
                conn, addr = s.accept()
            except OSError:
                if self._sock is not s:
                    return
                time.sleep(0.01)
                continue
            t = threading.Thread(target=self._serve, args=(conn, addr), daemon=True)
            t.start()

    def _fault(self):
        try:
            return parse_fault(self.fault())
        except (ValueError, TypeError):
            return "none", None

    def _serve(self, conn, addr):
        with self._lock:
            self._conns.add(conn)
        raw = conn
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            name, _ = self._fault()
            if name in ("refuse", "down"):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if name == "blackhole":
                self._blackhole(conn)
                return
            cert = None
            if self.ssl_context is None and getattr(self, "plain_http_close", False):
                # envoy's HTTP codec answers a TLS ClientHello on a plain port with 400 at once
                # (set with plain_http_close by kcsim.routes.start for the gateway listener)
                conn.settimeout(10)
                try:
                    first = conn.recv(1, socket.MSG_PEEK)
                except OSError:
                    return
                if first[:1] == b"\x16":
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\ncontent-type: text/plain\r\n"
                                 b"server: envoy\r\nconnection: close\r\n\r\nBad Request")
                    return
            if self.ssl_context is not None:
                conn.settimeout(10)
                try:
                    first = conn.recv(1, socket.MSG_PEEK)
                except OSError:
                    return
                if not first:
                    return
                if first[0] != 0x16:
                    # Go's answer to plain HTTP on a TLS port; envoy (the gateway) just closes
                    # (plain_http_close is set by kcsim.routes.start for the gateway listener)
                    if not getattr(self, "plain_http_close", False):
                        conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
                    self._linger(conn)
                    return
                try:
                    conn = self.ssl_context.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    self.log("DEBUG", "%s: TLS handshake from %s:%d failed: %s" % (self.name, addr[0], addr[1], e))
                    return
                der = conn.getpeercert(binary_form=True)
                if der:
                    from cryptography import x509
                    try:
                        cert = x509.load_der_x509_certificate(der)
                    except ValueError:
                        cert = None
            self._loop(conn, addr, cert)
        except (_Closed, OSError, ssl.SSLError):
            pass
        finally:
            with self._lock:
                self._conns.discard(raw)
            try:
                conn.close()
            except OSError:
                pass
            if conn is not raw:
                try:
                    raw.close()
                except OSError:
                    pass

    @staticmethod
    def _linger(conn):
        """Half-close and drain what the client still sends, so that closing does not reset."""
        try:
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(1)
            while conn.recv(65536):
                pass
        except OSError:
            pass

    @staticmethod
    def _blackhole(conn):
        conn.settimeout(IDLE_TIMEOUT)
        while True:
            try:
                if not conn.recv(65536):
                    return
            except OSError:
                return

    def _loop(self, conn, addr, cert):
        conn.settimeout(IDLE_TIMEOUT)
        rfile = conn.makefile("rb")
        while True:
            req = self._read_request(rfile, conn)
            if req is None:
                return
            req.client_cert = cert
            req.peer = (addr[0], addr[1])
            req.listener = self.name
            keep = self._keep_alive(req)
            name, arg = self._fault()
            if name in ("down", "refuse"):
                try:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
                return
            if name == "blackhole":
                self._blackhole(conn)
                return
            if name == "slow":
                time.sleep(arg)
            if name == "status":
                if self.status_json:
                    resp = Response(arg, status_body(arg, "fault injected: status=%d" % arg))
                else:
                    resp = Response(arg, b"", content_type=None)
            else:
                resp = self._call(req)
            if resp.stream is not None:
                if not self._stream(conn, resp, keep):
                    return
                continue
            data = resp.encode(head_only=False, keep_alive=keep)
            if req.method == "HEAD":
                data = resp.encode(head_only=True, keep_alive=keep)
            if name == "close-mid":
                conn.sendall(data[:len(data) // 2])
                return
            if name == "bad-json":
                body = resp.body[:len(resp.body) // 2]
                data = resp.encode(keep_alive=keep, body=body)
            conn.sendall(data)
            if not keep:
                return

    @staticmethod
    def _peer_closed(conn):
        import select
        try:
            r, _, _ = select.select([conn], [], [], 0)
        except (OSError, ValueError):
            return True
        if not r:
            return False
        conn.setblocking(False)
        try:
            return conn.recv(1) == b""
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except (ssl.SSLError, OSError):
            return True
        finally:
            try:
                conn.settimeout(IDLE_TIMEOUT)
            except OSError:
                pass

    def _stream(self, conn, resp, keep):
        """A streamed (chunked) answer, for watches: the one exception to one-write answers.
        resp.stream yields bytes (a chunk) or None (idle: check that the client is still there)."""
        head = resp.encode(head_only=True, keep_alive=keep, chunked=True)
        conn.sendall(head)
        gen = resp.stream
        try:
            for chunk in gen:
                if chunk is None:
                    if self._peer_closed(conn):
                        return False
                    continue
                if chunk:
                    conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.sendall(b"0\r\n\r\n")
            return keep
        finally:
            gen.close()

    def _call(self, req):
        try:
            resp = self.handler(req)
            if resp is None:
                raise RuntimeError("handler returned no response")
            return resp
        except Exception as e:  # an exception is a 500, as a Go server's recovered panic would not be
            import traceback
            self.log("ERROR", "%s: %s %s: %s" % (self.name, req.method, req.raw_path,
                                                 traceback.format_exc().replace("\n", " | ")))
            return Response(500, status_body(500, "Internal error occurred: %s" % e, "InternalError"))

    @staticmethod
    def _keep_alive(req):
        c = req.headers.get("connection", "").lower()
        if req.version == "HTTP/1.0":
            return "keep-alive" in c
        return "close" not in c

    @staticmethod
    def _read_request(rfile, conn):
        line = rfile.readline(65537)
        while line in (b"\r\n", b"\n"):
            line = rfile.readline(65537)
        if not line:
            return None
        try:
            method, target, version = line.decode("latin-1").strip().split(" ", 2)
        except ValueError:
            raise _Closed()
        req = Request()
        req.method = method.upper()
        req.version = version.strip()
        total = 0
        while True:
            h = rfile.readline(65537)
            if not h:
                raise _Closed()
            total += len(h)
            if total > MAX_HEADER:
                raise _Closed()
            if h in (b"\r\n", b"\n"):
                break
            k, _, v = h.decode("latin-1").partition(":")
            req.headers[k.strip().lower()] = v.strip()
        if target.startswith("http://") or target.startswith("https://"):
            target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
        req.raw_path = target
        path, _, qs = target.partition("?")
        req.path = urllib.parse.unquote(path)
        req.query = urllib.parse.parse_qs(qs, keep_blank_values=True)
        te = req.headers.get("transfer-encoding", "").lower()
        if req.headers.get("expect", "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in te:
            chunks = []
            size = 0
            while True:
                sl = rfile.readline(1024)
                if not sl:
                    raise _Closed()
                n = int(sl.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while True:
                        tl = rfile.readline(65537)
                        if tl in (b"\r\n", b"\n", b""):
                            break
                    break
                size += n
                if size > MAX_BODY:
                    raise _Closed()
                chunks.append(rfile.read(n))
                rfile.readline(16)
            req.body = b"".join(chunks)
        else:
            try:
                n = int(req.headers.get("content-length", "0") or "0")
            except ValueError:
                raise _Closed()
            if n < 0 or n > MAX_BODY:
                raise _Closed()
            req.body = rfile.read(n) if n else b""
            if len(req.body) < n:
                raise _Closed()
        return req


def tls_context(cert, key, ca=None, client="none"):
    """Server TLS context. client: none | optional | required (verified against ca)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    if client != "none" and ca:
        ctx.load_verify_locations(cafile=ca)
        ctx.verify_mode = ssl.CERT_REQUIRED if client == "required" else ssl.CERT_OPTIONAL
    return ctx
