#!/usr/bin/env python3
"""Load for the daemon (tests/e2e/flood.sh), standard library only.

  flood.py flood URL SECRET EVENTS CLIENTS KEYS PID OUT
      EVENTS signed Clarity order.updated events (ids flood-0..), spread over
      CLIENTS threads, each naming one of the order keys in the file KEYS
      (one a line), POSTed to URL/webhooks/clarity; meanwhile /healthz is
      probed every 20 ms and the daemon's PID checked.  Writes the ids that
      got 200 to OUT (one a line) and prints one line of figures:
        sent=N ok=N failed=N healthz=N healthz_bad=N p50_ms=X p99_ms=X
        max_ms=X died=0|1 seconds=X
  flood.py send URL SECRET TYPE PREFIX KEY...
      one signed event of TYPE per KEY, id PREFIX-KEY: prints how many got 200
  flood.py forward PORT TO SECONDS
      a TCP relay from 127.0.0.1:PORT to 127.0.0.1:TO for SECONDS (a service
      that comes back)
  flood.py slowloris HOST PORT CONNECTIONS SECONDS URL SRC[,SRC...]
      CONNECTIONS sockets, from the addresses SRC in turn (other loopback
      addresses: other clients), that send a request's headers one byte a second;
      after 1 s, /healthz (URL) is asked every 100 ms for SECONDS: prints
        open=N healthz=N healthz_ok=N p99_ms=X max_ms=X
"""
import hashlib
import hmac
import json
import os
import socket
import sys
import threading
import time
import http.client
import urllib.parse


def sign(secret, ts, body):
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def p(vals, q):
    if not vals:
        return -1.0
    v = sorted(vals)
    return v[min(len(v) - 1, int(q * len(v)))]


def healthz_once(host, port, timeout=5.0):
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection(host, port, timeout=timeout)
        c.request("GET", "/healthz")
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, (time.monotonic() - t0) * 1000
    except OSError:
        return 0, (time.monotonic() - t0) * 1000


def post(conn, secret, eid, etype, key):
    body = json.dumps({"id": eid, "type": etype, "createdAt": "2030-01-01T00:00:00Z",
                       "data": {"orderId": key}}).encode()
    ts = str(int(time.time()))
    hdr = {"Content-Type": "application/json", "X-Clarity-Timestamp": ts,
           "X-Clarity-Signature": sign(secret, ts, body)}
    conn.request("POST", "/webhooks/clarity", body, hdr)
    r = conn.getresponse()
    r.read()
    return r.status


def send(url, secret, etype, prefix, keys):
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    print(sum(post(conn, secret, prefix + "-" + k, etype, k) == 200 for k in keys))


def forward(port, to, seconds):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    ls.settimeout(0.2)

    def pipe(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        c.settimeout(None)
        o = socket.create_connection(("127.0.0.1", to))
        for a, b in ((c, o), (o, c)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


def flood(url, secret, events, clients, keys_file, pid, out):
    u = urllib.parse.urlparse(url)
    keys = [k.strip() for k in open(keys_file) if k.strip()]
    ok_ids, failed = [], [0]
    lock = threading.Lock()
    done = threading.Event()
    lat, bad, died = [], [0], [0]

    def client(k):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        for i in range(k, events, clients):
            eid = "flood-%d" % i
            status = 0
            for _ in range(2):  # a connection the server closed: once more on a new one
                try:
                    status = post(conn, secret, eid, "order.updated", keys[i % len(keys)])
                    break
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            with lock:
                if status == 200:
                    ok_ids.append(eid)
                else:
                    failed[0] += 1
        conn.close()

    def probe():
        while not done.is_set():
            status, ms = healthz_once(u.hostname, u.port)
            lat.append(ms)
            if status != 200:
                bad[0] += 1
            try:
                os.kill(pid, 0)
            except OSError:
                died[0] = 1
            time.sleep(0.02)

    t0 = time.monotonic()
    pr = threading.Thread(target=probe)
    pr.start()
    ts = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    done.set()
    pr.join()
    with open(out, "w") as f:
        f.write("".join(i + "\n" for i in ok_ids))
    print("sent=%d ok=%d failed=%d healthz=%d healthz_bad=%d p50_ms=%.1f p99_ms=%.1f "
          "max_ms=%.1f died=%d seconds=%.1f" % (events, len(ok_ids), failed[0], len(lat),
          bad[0], p(lat, 0.5), p(lat, 0.99), max(lat) if lat else -1, died[0],
          time.monotonic() - t0))


def slowloris(host, port, n, seconds, url, srcs):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.setblocking(True)
        s.settimeout(2)
        try:
            s.bind((srcs[i % len(srcs)], 0))
            s.connect((host, port))
            s.send(b"P")
            socks.append(s)
        except OSError:
            s.close()
    u = urllib.parse.urlparse(url)
    stop = threading.Event()
    req = b"OST /webhooks/clarity HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 10000

    def trickle():
        i = 0
        while not stop.is_set():
            for s in list(socks):
                try:
                    s.send(req[i:i + 1])
                except OSError:
                    socks.remove(s)
                    s.close()
            i += 1
            stop.wait(1.0)

    t = threading.Thread(target=trickle)
    t.start()
    time.sleep(1)
    lat, good = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status, ms = healthz_once(u.hostname, u.port, timeout=2)
        lat.append(ms)
        good += status == 200
        time.sleep(0.1)
    opened = len(socks)
    stop.set()
    t.join()
    for s in socks:
        s.close()
    print("open=%d healthz=%d healthz_ok=%d p99_ms=%.1f max_ms=%.1f" % (opened, len(lat), good,
          p(lat, 0.99), max(lat) if lat else -1))


if __name__ == "__main__":
    a = sys.argv[1:]
    if a and a[0] == "flood" and len(a) == 8:
        flood(a[1], a[2], int(a[3]), int(a[4]), a[5], int(a[6]), a[7])
    elif a and a[0] == "send" and len(a) >= 6:
        send(a[1], a[2], a[3], a[4], a[5:])
    elif a and a[0] == "forward" and len(a) == 4:
        forward(int(a[1]), int(a[2]), float(a[3]))
    elif a and a[0] == "slowloris" and len(a) == 7:
        slowloris(a[1], int(a[2]), int(a[3]), float(a[4]), a[5], a[6].split(","))
    else:
        sys.exit(__doc__)
