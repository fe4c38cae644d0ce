#!/usr/bin/env python3
"""A small steady load for the fault drills: THREADS threads loop over storefront reads,
search, a customer's own reads and cart writes for SECONDS seconds against BASE, and the
answers are counted per status, per phase (the drill names phases by writing a word to
PHASE_FILE). Standard library only, so the drill needs nothing installed.

    python3 infra/drills/load.py http://127.0.0.1:18091 30 --threads 6 --phase-file f --out r.json
"""

import argparse
import http.client
import json
import random
import threading
import time
import urllib.parse
from collections import Counter, defaultdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("seconds", type=float)
    ap.add_argument("--threads", type=int, default=6)
    ap.add_argument("--phase-file")
    ap.add_argument("--out")
    ap.add_argument("--email", default="customer@example.kr")
    ap.add_argument("--password", default="jikgu-customer-demo")
    a = ap.parse_args()
    url = urllib.parse.urlparse(a.base)

    def conn():
        return http.client.HTTPConnection(url.hostname, url.port, timeout=15)

    def call(c, method, path, body=None, token=None):
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = "Bearer " + token
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = c.getresponse()
        data = r.read()
        return r.status, data

    c = conn()
    status, data = call(c, "POST", "/v1/auth/login", {"email": a.email, "password": a.password})
    token = json.loads(data)["access_token"] if status == 200 else None
    status, data = call(c, "GET", "/v1/products?limit=50")
    products = [p["id"] for p in json.loads(data)["items"]] if status == 200 else []
    variants = []
    for pid in products[:10]:
        status, data = call(c, "GET", "/v1/products/" + pid)
        if status == 200:
            variants += [v["id"] for v in json.loads(data)["variants"]]

    requests = [
        ("GET", "/v1/products?limit=20", None, False),
        ("GET", "/v1/products?sort=price_asc&limit=10", None, False),
        ("GET", "/v1/categories", None, False),
        ("GET", "/v1/campaigns", None, False),
        ("GET", "/v1/search?q=%EA%B9%80%EC%B9%98", None, False),
        ("GET", "/v1/me", None, True),
        ("GET", "/v1/orders?limit=5", None, True),
        ("GET", "/v1/carts/current", None, True),
    ]
    requests += [("GET", "/v1/products/" + p, None, False) for p in products[:10]]
    writes = [("PUT", "/v1/carts/current/lines/" + v, {"quantity": 1}, True) for v in variants[:5]]

    phase = ["start"]
    counts = defaultdict(Counter)
    slowest = defaultdict(float)
    lock = threading.Lock()
    stop = time.monotonic() + a.seconds

    def worker(i):
        rnd = random.Random(i)
        c = conn()
        while time.monotonic() < stop:
            method, path, body, auth = rnd.choice(requests + writes if i == 0 and writes else requests)
            t0 = time.monotonic()
            try:
                status, _ = call(c, method, path, body, token if auth else None)
                key = str(status)
            except Exception as e:  # a reset, a refused connection, a timeout
                key = "error:" + type(e).__name__
                c.close()
                c = conn()
                time.sleep(0.05)
            took = time.monotonic() - t0
            with lock:
                counts[phase[0]][key] += 1
                slowest[phase[0]] = max(slowest[phase[0]], took)

    def watch_phase():
        while time.monotonic() < stop:
            if a.phase_file:
                try:
                    with open(a.phase_file) as f:
                        w = f.read().strip()
                    if w:
                        phase[0] = w
                except OSError:
                    pass
            time.sleep(0.05)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(a.threads)]
    threads.append(threading.Thread(target=watch_phase))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = {
        p: {
            "requests": sum(c.values()),
            "by_status": dict(sorted(c.items())),
            "5xx": sum(n for s, n in c.items() if s.startswith("5")),
            "503": c.get("503", 0),
            "500": c.get("500", 0),
            "errors": sum(n for s, n in c.items() if s.startswith("error")),
            "slowest_s": round(slowest[p], 3),
        }
        for p, c in counts.items()
    }
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
