#!/usr/bin/env python3
"""HTTP measurements for the scale benchmark (standard library only).

  client.py seq   --url URL [--header K:V]... [--requests 200] [--max-seconds 60]
      Sequential requests on one keep-alive connection; prints one JSON object:
      median and p90 in ms, the count made, the statuses, the body size.
  client.py first --url URL [--header K:V]...
      One request on a fresh connection (the first of a query after the bulk
      load); prints {"ms": ..., "status": ...}.
  client.py load  --url URL [--header K:V]... [--seconds 20] [--connections 16]
      Throughput with oha (preferred) or wrk, whichever is on PATH
      (SCALE_LOADGEN=oha|wrk chooses); prints {"rps": ..., "ok": ..., "errors": ...}.
  client.py save  --url URL [--header K:V]... --out FILE
      Writes one answer's body to FILE (the nginx floor serves it).

Every request loop is bounded in count and in time. Loopback only.
"""

import argparse
import http.client
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse


def parse_url(url):
    u = urllib.parse.urlsplit(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"refusing a non-loopback address: {url}")
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    return u.hostname, u.port or 80, path


def headers_of(pairs):
    out = {}
    for p in pairs or []:
        k, _, v = p.partition(":")
        out[k.strip()] = v.strip()
    return out


def one(conn, path, headers):
    """One request; returns (seconds, status, body length)."""
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    return time.perf_counter() - t0, r.status, len(body), body


def percentile(sorted_values, p):
    """Nearest-rank percentile of sorted values."""
    if not sorted_values:
        return None
    k = math.ceil(p / 100 * len(sorted_values)) - 1
    return sorted_values[max(0, min(len(sorted_values) - 1, k))]


def cmd_seq(a):
    host, port, path = parse_url(a.url)
    headers = headers_of(a.header)
    conn = http.client.HTTPConnection(host, port, timeout=a.timeout)
    times, statuses, size = [], {}, 0
    deadline = time.monotonic() + a.max_seconds
    for _ in range(a.requests):
        try:
            dt, status, n, _ = one(conn, path, headers)
        except (OSError, http.client.HTTPException) as e:
            statuses[type(e).__name__] = statuses.get(type(e).__name__, 0) + 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=a.timeout)
            if time.monotonic() > deadline:
                break
            continue
        times.append(dt * 1000)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        size = n
        if time.monotonic() > deadline:
            break
    conn.close()
    times.sort()
    print(json.dumps({
        "n": len(times),
        "median": statistics.median(times) if times else None,
        "p90": percentile(times, 90),
        "statuses": statuses,
        "bytes": size,
    }))


def cmd_first(a):
    host, port, path = parse_url(a.url)
    conn = http.client.HTTPConnection(host, port, timeout=a.timeout)
    try:
        dt, status, n, _ = one(conn, path, headers_of(a.header))
        print(json.dumps({"ms": dt * 1000, "status": status, "bytes": n}))
    except (OSError, http.client.HTTPException) as e:
        print(json.dumps({"ms": None, "status": type(e).__name__, "bytes": 0}))
    finally:
        conn.close()


def cmd_save(a):
    host, port, path = parse_url(a.url)
    conn = http.client.HTTPConnection(host, port, timeout=a.timeout)
    _, status, _, body = one(conn, path, headers_of(a.header))
    conn.close()
    if status != 200:
        sys.exit(f"{a.url}: {status}")
    with open(a.out, "wb") as f:
        f.write(body)
    print(json.dumps({"bytes": len(body)}))


def loadgen():
    want = os.environ.get("SCALE_LOADGEN", "")
    for tool in ([want] if want else ["oha", "wrk"]):
        if shutil.which(tool):
            return tool
    return None


def cmd_load(a):
    parse_url(a.url)
    tool = loadgen()
    hdr = []
    for h in a.header or []:
        hdr += ["-H", h]
    # Bounded in time: the tool stops by itself; the timeout is a backstop.
    limit = a.seconds + a.timeout + 30
    if tool == "oha":
        # -w: requests still running at the deadline are waited for and
        # counted (slow queries would otherwise vanish from the count).
        cmd = ["oha", "--no-tui", "--output-format", "json", "-z", f"{a.seconds}s",
               "-c", str(a.connections), "-w", "-t", f"{a.timeout}s"] + hdr + [a.url]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
        if p.returncode != 0:
            print(json.dumps({"tool": tool, "rps": None, "error": p.stderr.strip()[-300:]}))
            return
        d = json.loads(p.stdout)
        codes = {str(k): v for k, v in (d.get("statusCodeDistribution") or {}).items()}
        ok = codes.get("200", 0)
        errors = sum(v for k, v in codes.items() if k != "200")
        errors += sum((d.get("errorDistribution") or {}).values())
        total = ok + errors
        secs = d["summary"].get("total") or a.seconds
        print(json.dumps({"tool": tool, "rps": ok / secs if secs else None,
                          "all_rps": d["summary"].get("requestsPerSec"),
                          "ok": ok, "errors": errors, "total": total}))
    elif tool == "wrk":
        threads = min(a.connections, os.cpu_count() or 1)
        cmd = ["wrk", "-t", str(threads), "-c", str(a.connections), "-d", f"{a.seconds}s",
               "--timeout", f"{a.timeout}s"] + hdr + [a.url]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
        out = p.stdout
        m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        if p.returncode != 0 or not m:
            print(json.dumps({"tool": tool, "rps": None, "error": (p.stderr or out).strip()[-300:]}))
            return
        total = int(m.group(1))
        secs = float(m.group(2)) * {"ms": 0.001, "s": 1, "m": 60}.get(m.group(3), 1)
        errors = int(non2xx.group(1)) if non2xx else 0
        if sock:
            errors += sum(int(x) for x in sock.groups())
        ok = max(0, total - (int(non2xx.group(1)) if non2xx else 0))
        print(json.dumps({"tool": tool, "rps": ok / secs if secs else None,
                          "ok": ok, "errors": errors, "total": total}))
    else:
        print(json.dumps({"tool": None, "rps": None, "error": "neither oha nor wrk on PATH"}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("seq", "first", "load", "save"):
        s = sub.add_parser(name)
        s.add_argument("--url", required=True)
        s.add_argument("--header", action="append")
        s.add_argument("--timeout", type=float, default=120)
        if name == "seq":
            s.add_argument("--requests", type=int, default=200)
            s.add_argument("--max-seconds", type=float, default=60)
        if name == "load":
            s.add_argument("--seconds", type=int, default=20)
            s.add_argument("--connections", type=int, default=16)
        if name == "save":
            s.add_argument("--out", required=True)
    a = ap.parse_args()
    {"seq": cmd_seq, "first": cmd_first, "load": cmd_load, "save": cmd_save}[a.cmd](a)


if __name__ == "__main__":
    main()
