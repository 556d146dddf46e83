#!/usr/bin/env python3
"""Glare 5.0.1 as the reference of the scale benchmark (standard library only).

  glare.py configure --dir D --port P [--workers 2]
      Writes D/glare.conf and D/glare-paste.ini: SQLite database D/glare.sqlite,
      file store D/blobs, the `noauth` pipeline (the caller is given by the
      X-Identity-Status / X-Tenant-Id / X-User-Id / X-Roles headers, as in
      Glare's own functional tests) and anonymous read access.
  glare.py load --url http://127.0.0.1:P --jsonl FILE [--threads 4] [--name NAME]
      Creates every artifact of FILE (one JSON object a line, as written by
      `appcat generate --jsonl`; its ids are not kept: Glare makes its own) in
      heat_templates, each in its owner tenant, gives it an external
      `template` location (Glare activates only with it) and activates it,
      publishing the public ones in the same patch. Keep-alive connections, one
      per thread. Prints {"artifacts", "seconds", "requests", "name", "id",
      "public_name"}: a name owned by bench-a (NAME when given and present),
      the id of one of its artifacts, a public name.

Loopback only.
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

TYPE = "heat_templates"
MAX_TRIES = 30
# Glare's own paste file also wires healthcheck, CORS and osprofiler filters;
# the installed oslo.middleware refuses healthcheck as a filter, so the
# benchmark uses the pipeline Glare's functional tests use.
PASTE = """[pipeline:glare-api-noauth]
pipeline = faultwrapper versionnegotiation context glarev1api

[app:glarev1api]
paste.app_factory = glare.api.v1.router:API.factory

[filter:faultwrapper]
paste.filter_factory = glare.api.middleware.fault:GlareFaultWrapperFilter.factory

[filter:versionnegotiation]
paste.filter_factory = glare.api.middleware.version_negotiation:GlareVersionNegotiationFilter.factory

[filter:context]
paste.filter_factory = glare.api.middleware.context:ContextMiddleware.factory
"""

CONF = """[DEFAULT]
bind_host = 127.0.0.1
bind_port = {port}
workers = {workers}
log_file = {dir}/glare.log
lock_path = {dir}
allow_anonymous_access = True
enabled_artifact_types = heat_templates
[paste_deploy]
flavor = noauth
config_file = {dir}/glare-paste.ini
[glance_store]
stores = file
default_store = file
filesystem_store_datadir = {dir}/blobs
[database]
connection = sqlite:///{dir}/glare.sqlite
[oslo_policy]
policy_file = {dir}/policy.yaml
"""


def configure(a):
    d = os.path.abspath(a.dir)
    os.makedirs(os.path.join(d, "blobs"), exist_ok=True)
    with open(os.path.join(d, "glare-paste.ini"), "w") as f:
        f.write(PASTE)
    with open(os.path.join(d, "glare.conf"), "w") as f:
        f.write(CONF.format(port=a.port, workers=a.workers, dir=d))
    # No policy file: Glare's defaults in code apply (context_is_admin = role:admin).


def caller(tenant, role):
    return {
        "X-Identity-Status": "Confirmed",
        "X-Tenant-Id": tenant,
        "X-Project-Id": tenant,
        "X-User-Id": "bench-loader",
        "X-Roles": role,
    }


def pick(row, *keys, default=None):
    for k in keys:
        if k in row and row[k] is not None:
            return row[k]
    return default


class Loader:
    def __init__(self, host, port, seed):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=120)
        self.requests = 0
        self.retries = 0
        self.jitter = random.Random(seed)

    def call(self, method, path, body, headers, ok, retried=False):
        """One request, retried on connection errors and 5xx: with several
        API workers on one SQLite file, a transaction that cannot take the
        write lock fails at once ("database is locked") and is rolled back.
        Returns (status, decoded body); raises on another status than `ok`
        (409 too once the request had been retried: it had gone through)."""
        for attempt in range(MAX_TRIES):
            if attempt:
                retried = True
                time.sleep(min(0.5, 0.02 * 2 ** attempt) * (0.5 + self.jitter.random()))
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                continue
            self.requests += 1
            if r.status >= 500:
                self.retries += 1
                continue
            if r.status == ok or (r.status == 409 and retried):
                return r.status, (json.loads(data) if data else None)
            raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
        raise RuntimeError(f"{method} {path}: still failing after {MAX_TRIES} tries")

    def create(self, row):
        tenant = pick(row, "owner", "tenant", "owner_tenant", "owner_tenant_id")
        public = pick(row, "visibility", default="private") == "public"
        # Publishing needs Glare's admin role; it acts in the owner tenant.
        h = caller(tenant, "admin")
        body = {"name": row["name"], "version": row["version"]}
        tags = pick(row, "tags", default=[])
        if tags:
            body["tags"] = tags
        desc = pick(row, "description")
        if desc:
            body["description"] = desc
        status, art = self.call("POST", f"/artifacts/{TYPE}", json.dumps(body),
                                {**h, "Content-Type": "application/json"}, 201)
        if status == 409:
            # A retried create that had gone through after all: find it.
            q = urllib.parse.urlencode({"name": row["name"], "version": row["version"]})
            _, found = self.call("GET", f"/artifacts/{TYPE}?{q}", None, h, 200)
            art = found["artifacts"][0]
        # Every artifact is active, as `appcat generate` makes them; Glare
        # activates a heat template only once it has a template (an
        # external location here: nothing is uploaded or fetched).
        self.call("PUT", f"/artifacts/{TYPE}/{art['id']}/template",
                  json.dumps({"url": "http://127.0.0.1/template.yaml",
                              "md5": "d41d8cd98f00b204e9800998ecf8427e"}),
                  {**h, "Content-Type":
                   "application/vnd+openstack.glare-custom-location+json"}, 200)
        patch = [{"op": "replace", "path": "/status", "value": "active"}]
        if public:
            patch.append({"op": "replace", "path": "/visibility", "value": "public"})
        self.call("PATCH", f"/artifacts/{TYPE}/{art['id']}", json.dumps(patch),
                  {**h, "Content-Type": "application/json-patch+json"}, 200)
        return tenant, public, art["id"]


def load(a):
    from urllib.parse import urlsplit
    u = urlsplit(a.url)
    if u.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("loopback only")
    with open(a.jsonl) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    # All versions of one name in one thread, in file order.
    names = sorted({r["name"] for r in rows})
    slot = {n: i % a.threads for i, n in enumerate(names)}
    parts = [[] for _ in range(a.threads)]
    for r in rows:
        parts[slot[r["name"]]].append(r)
    results, errors, loaders = {}, [], []
    lock = threading.Lock()

    def work(i, part):
        ld = Loader(u.hostname, u.port, i)
        loaders.append(ld)
        try:
            for r in part:
                out = ld.create(r)
                with lock:
                    results.setdefault(r["name"], []).append(out)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(str(e))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i, p)) for i, p in enumerate(parts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        sys.exit("glare load failed: " + errors[0])
    own = [n for n in names if results[n][0][0] == "bench-a"]
    name = a.name if a.name in results and results[a.name][0][0] == "bench-a" else own[0]
    public = [n for n in names if results[n][0][1]]
    print(json.dumps({
        "artifacts": sum(len(v) for v in results.values()),
        "seconds": seconds,
        "requests": sum(ld.requests for ld in loaders),
        "retried": sum(ld.retries for ld in loaders),
        "threads": a.threads,
        "name": name,
        "id": results[name][0][2],
        "public_name": public[0] if public else None,
    }))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("configure")
    c.add_argument("--dir", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--workers", type=int, default=2)
    ld = sub.add_parser("load")
    ld.add_argument("--url", required=True)
    ld.add_argument("--jsonl", required=True)
    ld.add_argument("--threads", type=int, default=4)
    ld.add_argument("--name")
    a = ap.parse_args()
    {"configure": configure, "load": load}[a.cmd](a)


if __name__ == "__main__":
    main()
