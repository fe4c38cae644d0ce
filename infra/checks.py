#!/usr/bin/env python3
"""Offline checks of infra/, driven by infra/check.sh (one subcommand per step).

Each subcommand prints what it verified and exits non-zero on a failure. Needs PyYAML
(check.sh installs it). No network, no Docker engine, no cluster.

The routing table below is the single statement of who serves which public path; both
nginx.conf (by running nginx against stub upstreams) and k8s/40-ingress.yaml (by
emulating Ingress path matching) are checked against it.
"""

from __future__ import annotations

import glob
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

INFRA = Path(__file__).resolve().parent
REPO = INFRA.parent

PORTS = {"catalog": 8081, "orders": 8082, "promotions": 8083, "settlements": 8084, "reports": 8085,
         "console": 8086}

# request path -> service that must answer it (None: the edge answers 404).
ROUTES: dict[str, str | None] = {
    "/v1/carts": "orders",
    "/v1/carts/current/items": "orders",
    "/v1/checkout": "orders",
    "/v1/orders": "orders",
    "/v1/orders/0193a0b4-0000-7000-8000-000000000000/cancel": "orders",
    "/v1/vendor/orders": "orders",
    "/v1/vendor/orders/123/ship": "orders",
    "/v1/payments/stripe/webhook": "orders",
    "/v1/campaigns": "promotions",
    "/v1/campaigns/spring-2026/products": "promotions",
    "/v1/coupons/claim": "promotions",
    "/v1/coupon-drops/0193a0b4-0000-7000-8000-000000000000/claim": "promotions",
    "/v1/me/coupons": "promotions",
    "/v1/admin/campaigns": "promotions",
    "/v1/admin/coupons/42": "promotions",
    "/v1/vendor/campaign-applications": "promotions",
    "/v1/marketing/performance": "promotions",
    "/v1/vendor/settlements/balance": "settlements",
    "/v1/admin/settlements/liabilities": "settlements",
    "/v1/marketing/reports/performance": "reports",
    "/v1/marketing/reports/performance.html": "reports",
    "/v1/marketing/reports/external-sales": "reports",
    "/v1/vendor/reports/performance": "reports",
    "/v1/auth/login": "catalog",
    "/v1/me": "catalog",
    "/v1/admin/accounts": "catalog",
    "/v1/admin/vendors/7/approve": "catalog",
    "/v1/vendors": "catalog",
    "/v1/vendor/products": "catalog",
    "/v1/categories": "catalog",
    "/v1/products": "catalog",
    "/v1/search": "catalog",
    "/openapi.json": "catalog",
    "/docs": "catalog",
    "/docs/index.html": "catalog",
    "/console": "console",
    "/console/login": "console",
    "/console/vendor/products/0193a0b4-0000-7000-8000-000000000000/images": "console",
    "/console/assets/htmx.min.js": "console",
    "/consoles": None,
    "/healthz": None,
    "/metrics": None,
    "/": None,
}

SECRET_KEYS = {"JIKGU_JWT_SECRET", "TOSS_SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "MEILISEARCH_API_KEY"}
APP_ENV = {"DATABASE_URL", "REDIS_URL", "MEILISEARCH_URL", "MEILISEARCH_API_KEY",
           "JIKGU_JWT_SECRET", "PAYMENT_GATEWAY"}

failures: list[str] = []


def check(cond: bool, what: str) -> bool:
    if not cond:
        failures.append(what)
        print(f"  FAIL {what}")
    return cond


def finish(summary: str) -> None:
    if failures:
        print(f"  {len(failures)} failure(s)")
        sys.exit(1)
    print(f"  {summary}")


def k8s_files() -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(INFRA / "k8s" / "**" / "*.yaml"), recursive=True))


def k8s_docs() -> list[tuple[Path, dict]]:
    out = []
    for f in k8s_files():
        for doc in yaml.safe_load_all(f.read_text()):
            if doc is not None:
                out.append((f, doc))
    return out


# ------------------------------------------------------------------------- yaml

def cmd_yaml() -> None:
    files = [INFRA / "compose.yaml", *k8s_files()]
    docs = 0
    for f in files:
        try:
            docs += sum(1 for d in yaml.safe_load_all(f.read_text()) if d is not None)
        except yaml.YAMLError as e:
            check(False, f"{f.relative_to(REPO)}: {e}")
    finish(f"{len(files)} files, {docs} documents parse")


# ---------------------------------------------------------------------- compose

def cmd_compose() -> None:
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text())
    services = compose.get("services", {})
    expected = {"postgres", "redis", "meilisearch", "migrate", *PORTS, "worker", "nginx"}
    check(set(services) == expected, f"compose services {sorted(services)} != {sorted(expected)}")

    for name, svc in services.items():
        check("image" in svc or "build" in svc, f"compose {name}: no image or build")
        deps = svc.get("depends_on", {})
        for dep, cond in (deps.items() if isinstance(deps, dict) else ((d, {}) for d in deps)):
            check(dep in services, f"compose {name}: depends on unknown service {dep}")
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith("."):
                check((INFRA / src).exists(), f"compose {name}: bind mount source {src} missing")
        build = svc.get("build")
        if build:
            ctx = (INFRA / build["context"]).resolve()
            check((ctx / build["dockerfile"]).is_file(), f"compose {name}: Dockerfile not found")

    for name in ["migrate", *PORTS, "worker"]:
        svc = services.get(name, {})
        env = svc.get("environment", {})
        check(APP_ENV <= set(env), f"compose {name}: missing env {sorted(APP_ENV - set(env))}")
        check(str(env.get("JIKGU_JWT_SECRET", "")).startswith("${JIKGU_JWT_SECRET:?"),
              f"compose {name}: JIKGU_JWT_SECRET must be required from the environment")
        check(env.get("DATABASE_URL") == "postgres://postgres@postgres:5432/jikgu",
              f"compose {name}: DATABASE_URL")
        if name != "migrate":
            cond = svc.get("depends_on", {}).get("migrate", {}).get("condition")
            check(cond == "service_completed_successfully", f"compose {name}: must wait for migrate")

    check(services.get("migrate", {}).get("command") == ["migrate"], "compose migrate: command")
    check(services.get("worker", {}).get("command") == ["worker"], "compose worker: command")
    for name, port in PORTS.items():
        svc = services.get(name, {})
        check(svc.get("command") == ["serve", name, "--port", str(port)], f"compose {name}: command")
        test = " ".join(svc.get("healthcheck", {}).get("test", []))
        check(f":{port}/healthz" in test, f"compose {name}: healthcheck must call /healthz on {port}")

    nginx_conf = (INFRA / "nginx.conf").read_text()
    for name, port in PORTS.items():
        check(re.search(rf"server\s+{name}:{port};", nginx_conf) is not None,
              f"nginx.conf: upstream {name} must be {name}:{port}")

    dockerfile = (INFRA / "Dockerfile").read_text()
    for needle in ["FROM rust:1.95-bookworm", "FROM debian:bookworm-slim", "-p jikgu",
                   "/usr/local/bin/jikgu", "ca-certificates"]:
        check(needle in dockerfile, f"Dockerfile: expected {needle!r}")
    finish(f"{len(services)} services consistent (commands, ports, env, depends_on, mounts)")


# -------------------------------------------------------------------------- k8s

NAMESPACED = {"ConfigMap", "Secret", "Deployment", "Service", "Job", "HorizontalPodAutoscaler",
              "Ingress", "PodDisruptionBudget"}


def pod_spec(doc: dict) -> dict | None:
    if doc.get("kind") in ("Deployment", "Job"):
        return doc.get("spec", {}).get("template", {}).get("spec")
    return None


def cmd_k8s_structure() -> None:
    """Fallback for when no schema validator is available."""
    n = 0
    for f, doc in k8s_docs():
        n += 1
        where = f"{f.relative_to(REPO)} {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        check(bool(doc.get("apiVersion")) and bool(doc.get("kind")), f"{where}: apiVersion/kind")
        check(bool(doc.get("metadata", {}).get("name")), f"{where}: metadata.name")
        if doc.get("kind") in NAMESPACED:
            check(doc["metadata"].get("namespace") == "jikgu", f"{where}: namespace must be jikgu")
        spec = pod_spec(doc)
        if spec is not None:
            for c in spec.get("containers", []):
                check(bool(c.get("image")), f"{where}: container {c.get('name')} has no image")
            check(bool(spec.get("containers")), f"{where}: no containers")
    finish(f"{n} documents have apiVersion, kind, metadata.name, namespace, images")


def cmd_k8s_consistency() -> None:
    docs = k8s_docs()
    by_kind: dict[str, dict[str, dict]] = {}
    for _, doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc

    secret = by_kind.get("Secret", {}).get("jikgu-secrets", {})
    check(SECRET_KEYS <= set(secret.get("stringData", {})),
          f"Secret jikgu-secrets: needs {sorted(SECRET_KEYS)}")
    config = by_kind.get("ConfigMap", {}).get("jikgu-config", {}).get("data", {})
    check({"DATABASE_URL", "REDIS_URL"} <= set(config), "ConfigMap jikgu-config: DATABASE_URL, REDIS_URL")
    check(not (SECRET_KEYS & set(config)), "ConfigMap jikgu-config holds a secret key")

    workloads = {**by_kind.get("Deployment", {}), **by_kind.get("Job", {})}
    check(set(by_kind.get("Deployment", {})) == {*PORTS, "worker"}, "Deployments: catalog, orders, promotions, settlements, reports, console, worker")
    check(len(by_kind.get("Job", {})) == 1, "one migration Job")
    for name, doc in workloads.items():
        spec = pod_spec(doc)
        labels = doc["spec"]["template"]["metadata"].get("labels", {})
        if doc["kind"] == "Deployment":
            sel = doc["spec"]["selector"]["matchLabels"]
            check(sel.items() <= labels.items(), f"Deployment {name}: selector does not match pod labels")
        check(spec.get("securityContext", {}).get("runAsNonRoot") is True, f"{name}: runAsNonRoot")
        for c in spec["containers"]:
            refs = {r.get("configMapRef", r.get("secretRef", {})).get("name") for r in c.get("envFrom", [])}
            check(refs == {"jikgu-config", "jikgu-secrets"}, f"{name}: envFrom must use jikgu-config and jikgu-secrets")
            check(c.get("image") == "jikgu:latest", f"{name}: image")
            check("limits" in c.get("resources", {}) and "requests" in c.get("resources", {}),
                  f"{name}: resources requests and limits")
            check(c.get("securityContext", {}).get("allowPrivilegeEscalation") is False,
                  f"{name}: allowPrivilegeEscalation false")
            args = c.get("args", [])
            if name in PORTS:
                port = PORTS[name]
                check(doc["spec"].get("replicas") == 2, f"{name}: 2 replicas")
                check(args == ["serve", name, "--port", str(port)], f"{name}: args")
                check([p["containerPort"] for p in c.get("ports", [])] == [port], f"{name}: containerPort")
                check(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", f"{name}: readinessProbe /readyz")
                check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", f"{name}: livenessProbe /healthz")
            elif name == "worker":
                check(args == ["worker"] and doc["spec"].get("replicas") == 1, "worker: args, 1 replica")
            else:
                check(args == ["migrate"], f"Job {name}: args")

    services = by_kind.get("Service", {})
    for name, port in PORTS.items():
        svc = services.get(name)
        if check(svc is not None, f"Service {name} missing"):
            check(svc["spec"]["ports"][0]["port"] == port, f"Service {name}: port {port}")
            check(svc["spec"]["selector"].items()
                  <= workloads[name]["spec"]["template"]["metadata"]["labels"].items(),
                  f"Service {name}: selector does not match its pods")
        hpa = by_kind.get("HorizontalPodAutoscaler", {}).get(name)
        check(hpa is not None and hpa["spec"]["scaleTargetRef"]["name"] == name, f"HPA {name}")

    ingresses = list(by_kind.get("Ingress", {}).values())
    check(set(by_kind.get("Ingress", {})) == {"jikgu", "jikgu-console"},
          "Ingresses: jikgu (the API) and jikgu-console (its own body limit)")
    rules = [(p["path"], p["pathType"], p["backend"]["service"]["name"], p["backend"]["service"]["port"]["number"])
             for ing in ingresses for r in ing["spec"]["rules"] for p in r["http"]["paths"]]
    for path, _, svc, port in rules:
        check(PORTS.get(svc) == port, f"Ingress {path}: backend {svc}:{port} is not a Service")

    def ingress_route(request: str) -> str | None:
        # Exact beats Prefix; among Prefix matches the longest path wins. Prefix matching
        # is element-wise: /v1/orders matches /v1/orders and /v1/orders/..., not /v1/ordersx.
        for path, kind, svc, _ in rules:
            if kind == "Exact" and request == path:
                return svc
        best = None
        for path, kind, svc, _ in rules:
            p = path.rstrip("/")
            if kind == "Prefix" and (p == "" or request == p or request.startswith(p + "/")):
                if best is None or len(p) > len(best[0]):
                    best = (p, svc)
        return best[1] if best else None

    for request, want in ROUTES.items():
        got = ingress_route(request)
        check(got == want, f"Ingress routes {request} to {got}, expected {want}")
    finish(f"{len(docs)} documents consistent; Ingress routes {len(ROUTES)} sample paths as expected")


# ------------------------------------------------------------------------ nginx

class Stub(http.server.BaseHTTPRequestHandler):
    """An upstream that says who it is and what it received."""

    name = "?"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({
            "service": self.name,
            "path": self.path,
            "request_id": self.headers.get("X-Request-Id"),
            "forwarded_for": self.headers.get("X-Forwarded-For"),
            "host": self.headers.get("Host"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:  # keep the check's output readable
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cmd_nginx(nginx: str, mime_types: str) -> None:
    """`nginx -t` on a local copy of nginx.conf, then run it against stub upstreams."""
    stubs = {}
    for name in PORTS:
        handler = type(f"Stub_{name}", (Stub,), {"name": name})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        stubs[name] = server
    listen = free_port()

    with tempfile.TemporaryDirectory(prefix="jikgu-nginx-") as tmp:
        # Workers run as `nobody` when started by root and buffer request bodies under tmp.
        os.chmod(tmp, 0o755)
        conf = (INFRA / "nginx.conf").read_text()
        # Compose service names do not resolve here: point the upstreams at the stubs.
        conf, n = re.subn(rf"server\s+({'|'.join(PORTS)}):\d+;",
                          lambda m: f"server 127.0.0.1:{stubs[m.group(1)].server_address[1]};", conf)
        check(n == len(PORTS), f"nginx.conf: expected {len(PORTS)} upstream servers, found {n}")
        conf = conf.replace("listen 80 default_server;", f"listen 127.0.0.1:{listen} default_server;")
        conf = re.sub(r"^pid .*;$", f"pid {tmp}/nginx.pid;", conf, flags=re.M)
        if mime_types:
            conf = conf.replace("/etc/nginx/mime.types", mime_types)
        temp_paths = "".join(f"    {d}_temp_path {tmp}/{d};\n"
                             for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = conf.replace("http {\n", "http {\n" + temp_paths, 1)
        conf_path = Path(tmp) / "nginx.conf"
        conf_path.write_text(conf)
        base = [nginx, "-e", "stderr", "-p", f"{tmp}/", "-c", str(conf_path)]

        t = subprocess.run([*base, "-t"], capture_output=True, text=True)
        if not check(t.returncode == 0, f"nginx -t failed:\n{t.stderr}"):
            finish("")
        print("  nginx -t: syntax ok, test successful")

        # stderr to a file, not a pipe: nobody reads a pipe while nginx runs.
        errlog = open(Path(tmp) / "stderr.log", "w+")
        proc = subprocess.Popen([*base, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=errlog)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", listen), timeout=0.2).close()
                    break
                except OSError:
                    if proc.poll() is not None:
                        break
                    time.sleep(0.05)
            if proc.poll() is not None:
                errlog.seek(0)
                check(False, f"nginx did not start:\n{errlog.read()}")
                finish("")
            probe_nginx(listen)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            errlog.close()
            for server in stubs.values():
                server.shutdown()
    finish(f"nginx routes {len(ROUTES)} sample paths as expected; headers, body limit ok")


def probe_nginx(port: int) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # ignore *_proxy

    def call(path: str, headers: dict | None = None, data: bytes | None = None):
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers or {})
        try:
            with opener.open(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    for path, want in ROUTES.items():
        status, _, body = call(path)
        got = json.loads(body)["service"] if status == 200 else None
        check(got == want and (want is not None or status == 404),
              f"nginx routes {path} to {got} (HTTP {status}), expected {want}")

    status, headers, body = call("/v1/products?q=%EA%B9%80%EC%B9%98",
                                 {"X-Request-Id": "req-from-client", "Host": "shop.test"})
    seen = json.loads(body)
    check(seen["path"] == "/v1/products?q=%EA%B9%80%EC%B9%98", f"nginx rewrote the URI: {seen['path']}")
    check(seen["request_id"] == "req-from-client", "nginx must pass the client's X-Request-Id")
    check(headers.get("X-Request-Id") == "req-from-client", "response must carry the X-Request-Id")
    check(seen["host"] == "shop.test", f"nginx must pass Host, upstream saw {seen['host']}")
    check("127.0.0.1" in (seen["forwarded_for"] or ""), "nginx must set X-Forwarded-For")

    status, headers, body = call("/v1/me")
    minted = json.loads(body)["request_id"] or ""
    check(re.fullmatch(r"[0-9a-f]{32}", minted) is not None, f"nginx must mint an X-Request-Id, got {minted!r}")
    check(headers.get("X-Request-Id") == minted, "response X-Request-Id must equal the one sent upstream")

    status, _, _ = call("/v1/checkout", {"Content-Type": "application/json"}, b"{" + b" " * (1 << 20) + b"}")
    check(status == 200, f"a 1 MiB body must pass, got HTTP {status}")
    status, _, _ = call("/v1/checkout", {"Content-Type": "application/json"}, b" " * (3 << 20))
    check(status == 413, f"a 3 MiB body must be refused with 413, got HTTP {status}")


def main() -> None:
    cmds = {
        "yaml": cmd_yaml,
        "compose": cmd_compose,
        "k8s-structure": cmd_k8s_structure,
        "k8s-consistency": cmd_k8s_consistency,
        "nginx": cmd_nginx,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(cmds)}}} [args]")
    cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
