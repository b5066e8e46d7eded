#!/usr/bin/python3
"""rawhttpd.py PLAN PORTFILE LOG [--tls CERT KEY]: a scripted HTTP/1.1 server for the client tests.

PLAN is a JSON list, one step per request received, in order over all connections:
  {"answer": "raw bytes, \\r\\n included", "close": false}  send the answer as one write, then
                                                          close the connection when close is true
  {"drop": true}                                          close without answering
  {"answer": ..., "now": true}                            answer at once, before reading (a
                                                          server that does not speak the
                                                          client's protocol)
  {"file": PATH, ...}                                     the answer is PATH's bytes (any bytes)
  {..., "repeat": true}                                   the step answers every request from
                                                          then on
The plan is read again for every step, so a test may add steps while the server runs.
Each request (request line, headers, body) is appended to LOG as one JSON line. Test
infrastructure only: Debian's python3 and its standard library."""
import json
import socket
import ssl
import sys


def read_request(f):
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        c = f.read(1)
        if not c:
            return None
        head += c
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = f.read(int(headers.get("content-length", "0")))
    return {"line": lines[0], "headers": headers, "body": body.decode("latin-1")}


def answer(step):
    if "file" in step:
        with open(step["file"], "rb") as f:
            return f.read()
    return step["answer"].encode("latin-1")


def main():
    ctx = None
    if len(sys.argv) > 4 and sys.argv[4] == "--tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[5], sys.argv[6])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    with open(sys.argv[2] + ".tmp", "w") as p:
        p.write(str(srv.getsockname()[1]))
    import os
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    step = 0
    conns = 0
    while True:
        conn, _ = srv.accept()
        conns += 1
        f = None
        try:
            if ctx is not None:
                conn = ctx.wrap_socket(conn, server_side=True)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            f = conn.makefile("rb")
            while True:
                plan = json.load(open(sys.argv[1]))
                if step < len(plan) and plan[step].get("now"):
                    conn.sendall(answer(plan[step]))
                    step += 0 if plan[step].get("repeat") else 1
                    break
                req = read_request(f)
                if req is None:
                    break
                req["connection"] = conns
                with open(sys.argv[3], "a") as log:
                    log.write(json.dumps(req) + "\n")
                plan = json.load(open(sys.argv[1]))
                s = plan[step] if step < len(plan) else {"answer": "HTTP/1.1 500 No Plan\r\nContent-Length: 0\r\n\r\n", "close": True}
                step += 0 if s.get("repeat") else 1
                if s.get("drop"):
                    break
                conn.sendall(answer(s))
                if s.get("close"):
                    break
        except (OSError, ssl.SSLError):
            pass
        finally:
            if f is not None:
                f.close()  # the socket stays open while its file is
            conn.close()


main()
