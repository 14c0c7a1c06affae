#!/usr/bin/env python3
"""A bearer-token endpoint for the registry's auth.token configuration
(tests/cli/registry.sh): GET /token?service=S&scope=repository:NAME:ACTIONS...
answers {"token": JWT} signed RS256 (openssl) with KEY, whose certificate CERT
rides in the x5c header (the registry trusts it through rootcertbundle).

usage: token_server.py PORTFILE KEY CERT ISSUER USER:PASS LOGFILE
Basic credentials USER:PASS get the actions asked for; wrong ones get 401;
none get a token without access. While the file LOGFILE.empty-once exists,
the next token grants nothing (and the file is removed): the registry then
answers 401 and the client must fetch a new one. Each
request is one line in LOGFILE: "anonymous|user|refused SCOPES".
"""
import base64
import http.server
import json
import os
import socketserver
import subprocess
import sys
import time
import urllib.parse

portfile, key, cert, issuer, creds, logfile = sys.argv[1:7]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout
state = {"issued": 0}


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(claims):
    head = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    signing = b64(json.dumps(head).encode()) + "." + b64(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(), check=True,
                         capture_output=True).stdout
    return signing + "." + b64(sig)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get("Authorization", "")
        who = "anonymous"
        if auth.startswith("Basic "):
            who = "user" if base64.b64decode(auth[6:]).decode() == creds else "refused"
        with open(logfile, "a") as f:
            f.write("%s %s\n" % (who, " ".join(q.get("scope", []))))
        if who == "refused":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        access = []
        empty = os.path.exists(logfile + ".empty-once")
        if empty:
            os.unlink(logfile + ".empty-once")
        if who == "user" and not empty:
            for s in q.get("scope", []):
                t, name, actions = s.split(":")
                access.append({"type": t, "name": name, "actions": actions.split(",")})
        state["issued"] += 1
        now = int(time.time())
        tok = jwt({"iss": issuer, "sub": who, "aud": q.get("service", [""])[0], "exp": now + 600,
                   "nbf": now - 10, "iat": now, "jti": str(state["issued"]), "access": access})
        body = json.dumps({"token": tok, "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
