#!/usr/bin/env python3
"""secrets.py PORTFILE UPSTREAM SEEN [--tls CERT KEY] [--cut-listing]

A proxy in front of the sandbox's Clarity for tests/e2e/secrets.sh: it
forwards every request to UPSTREAM (http://127.0.0.1:P/clarity) and answers
with what came back; writes its port to PORTFILE and every access token it
hands out to SEEN (one a line).  --tls: it speaks HTTPS with CERT and KEY
(a self-signed certificate).  --cut-listing: a listing of orders is
interrupted: 502, and the first 1,500 bytes of the page the store sent (a
gateway that reports the upstream's partial answer) -- addresses, card
digits and all."""
import http.server
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

portfile, upstream, seen = sys.argv[1:4]
tls = sys.argv[sys.argv.index("--tls") + 1:sys.argv.index("--tls") + 3] \
    if "--tls" in sys.argv else None
cut = "--cut-listing" in sys.argv


class Proxy(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        req = urllib.request.Request(upstream + self.path, data=body, method=self.command)
        for h in ("Authorization", "Content-Type", "Accept"):
            if self.headers.get(h):
                req.add_header(h, self.headers[h])
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, data, ctype = r.status, r.read(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type")
        if self.path.startswith("/oauth/token") and status == 200:
            with open(seen, "a") as f:
                f.write(json.loads(data)["access_token"] + "\n")
        if cut and self.path.startswith("/api/v1/orders?"):
            status, data = 502, data[:1500]
        self.send_response(status)
        self.send_header("Content-Type", ctype or "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = forward


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls[0], tls[1])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
