#!/usr/bin/env python3
"""A misbehaving front for a real registry (tests/cli/registry.sh).

usage: regproxy.py PORTFILE UPSTREAM_PORT MODE [ARG]
  corrupt        GET of a blob: one byte of the body changed (digest mismatch)
  flaky N        the first N requests for a manifest answered 429, then forwarded
  kill PID       the first blob upload that ends (PUT ?digest=) kills PID (the
                 registry) before it is forwarded: the registry dies mid-push
  reset          the first GET of a whole blob larger than 64 KiB sends half of
                 it, then drops the connection (the client resumes with Range)
Everything else is forwarded as is. The chosen port is written to PORTFILE.
"""
import http.client
import http.server
import os
import signal
import socketserver
import sys

portfile, upstream, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
arg = sys.argv[4] if len(sys.argv) > 4 else None
state = {"flaky": int(arg) if mode == "flaky" else 0, "reset": mode == "reset"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def forward(self):
        if mode == "flaky" and "/manifests/" in self.path and state["flaky"] > 0:
            state["flaky"] -= 1
            self.send_response(429)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        if mode == "kill" and self.command == "PUT" and "digest=" in self.path:
            try:
                os.kill(int(arg), signal.SIGKILL)
            except ProcessLookupError:
                pass
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        hdrs["Host"] = "127.0.0.1:%d" % upstream
        try:
            c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=30)
            c.request(self.command, self.path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
        except OSError:
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "corrupt" and self.command == "GET" and "/blobs/sha256:" in self.path and len(data) > 100:
            data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
        if (state["reset"] and self.command == "GET" and "/blobs/sha256:" in self.path and r.status == 200
                and len(data) > 65536):
            state["reset"] = False
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            self.close_connection = True
            with open(portfile + ".resets", "a") as f:
                f.write("reset after %d of %d bytes\n" % (len(data) // 2, len(data)))
            return
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            if k.lower() == "location":
                v = v.replace("127.0.0.1:%d" % upstream, "127.0.0.1:%d" % self.server.server_address[1])
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
