"""What a source gateway's request to a peer endpoint looks like from the gateway's side
(spec/routes-and-tokens.md §3.2): the request leaves through envoy, which connects to the
CDR's host/port (IPv4, TLS without verification and without SNI), and turns transport
failures into its own local replies (503 + a text). The Go HTTP client on top of it gives up
after its timeout.

forward(...) -> Result(status, body, headers, error): `error` is set only when the client
itself failed (timeout); every envoy-level failure is an HTTP status with envoy's text.
"""

import errno
import http.client
import socket
import ssl
import uuid

from . import gw_keys as K

RESET = "upstream connect error or disconnect/reset before headers. "


class Result:
    __slots__ = ("status", "body", "headers", "error")

    def __init__(self, status=0, body=b"", headers=None, error=None):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.error = error

    @property
    def ok(self):
        return self.error is None and self.status == 200

    def detail(self, n=200):
        return self.body[:n].decode("utf-8", "replace")

    def __repr__(self):
        return "Result(%r, %r, error=%r)" % (self.status, self.body[:80], self.error)


def _envoy(status, text):
    return Result(status, text.encode(), {"content-type": "text/plain", "server": "envoy"})


def _tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


_CTX = _tls_context()


def forward(host, port, is_tls, method, path, headers, body=None, connect_timeout=10.0,
            timeout=10.0, go_url="http://127.0.0.1:80"):
    """One request through the simulated envoy to host:port."""
    try:
        ip = K.host_ipv4(host)
    except (OSError, UnicodeError):
        return _envoy(503, "no healthy upstream")
    try:
        sock = socket.create_connection((ip, int(port)), timeout=connect_timeout)
    except socket.timeout:
        return _envoy(503, RESET + "reset reason: connection timeout")
    except OSError as e:
        code = e.errno or errno.ECONNREFUSED
        return _envoy(503, RESET + "reset reason: connection failure, transport failure reason: "
                      "delayed connect error: %d" % code)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(timeout)
        if is_tls:
            try:
                sock = _CTX.wrap_socket(sock, server_hostname=None)  # no SNI, as envoy
            except socket.timeout:
                return _client_timeout(method, go_url, path)
            except ssl.SSLError as e:
                reason = getattr(e, "reason", None) or str(e)
                return _envoy(503, RESET + "reset reason: connection failure, transport failure "
                              "reason: TLS error: 268435703:SSL routines:OPENSSL_internal:%s" % reason)
            except OSError:
                return _envoy(503, RESET + "reset reason: connection termination")
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        conn.sock = sock
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host)  # envoy rewrites Host to the bare endpoint host
            hdrs = dict(headers)
            hdrs.setdefault("x-request-id", str(uuid.uuid4()))
            for k, v in hdrs.items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Connection", "close")
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            return Result(resp.status, data, {k.lower(): v for k, v in resp.getheaders()})
        except socket.timeout:
            return _client_timeout(method, go_url, path)
        except (http.client.RemoteDisconnected, http.client.BadStatusLine, ConnectionError,
                ssl.SSLError, http.client.IncompleteRead):
            return _envoy(503, RESET + "reset reason: connection termination")
        except OSError as e:
            return _envoy(503, RESET + "reset reason: connection termination, %s" % e)
        finally:
            conn.close()
    finally:
        try:
            sock.close()
        except OSError:
            pass


def _client_timeout(method, go_url, path):
    verb = method[:1].upper() + method[1:].lower()
    return Result(0, b"", None, '%s "%s%s": context deadline exceeded (Client.Timeout exceeded '
                  'while awaiting headers)' % (verb, go_url, path))
