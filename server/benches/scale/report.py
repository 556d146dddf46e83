#!/usr/bin/env python3
"""Markdown report of the scale benchmark from its results (JSON lines).

  report.py RESULTS.jsonl

One table per database: rows are the queries, columns the sizes, then Glare
(its own size) and the nginx floor (the same static file in every row).
A cell is "median / p90 ms · req/s". Then the first request of each query
after the bulk load, the load times, and how long each phase took.
"""

import json
import sys

QUERIES = [
    ("a", "(a) `?name=<name>&version=gte:1.5.0`"),
    ("b", "(b) `?version=latest&limit=25`"),
    ("c", "(c) `?tags=common`"),
    ("c2", "(c') `?tags=rare`"),
    ("d", "(d) `GET …/heat_templates/<id>`"),
    ("e", "(e) `?q=needle`"),
    ("f", "(f) page `/apps?q=` (HTML, facets)"),
    ("f2", "(f') page `/apps/heat_templates?q=needle`"),
    ("gb", "(g) (b) anonymous"),
    ("gc", "(g) (c) anonymous"),
]
GLARE_NA = {"e", "f", "f2"}
DB_TITLES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def num(n):
    return f"{n:,}".replace(",", " ")


def ms(v):
    if v is None:
        return "–"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:.0f}"


def size_label(n):
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000} M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000} k"
    return num(n)


def cell(seq, rps, want_n):
    if seq is None and rps is None:
        return ""
    parts = []
    notes = []
    if seq:
        parts.append(f"{ms(seq.get('median'))} / {ms(seq.get('p90'))} ms")
        bad = {k: v for k, v in (seq.get("statuses") or {}).items() if k != "200"}
        if bad:
            notes.append("seq " + ", ".join(f"{k}×{v}" for k, v in sorted(bad.items())))
        if seq.get("n", 0) < want_n:
            notes.append(f"n={seq.get('n', 0)}")
    if rps:
        if rps.get("rps") is None:
            parts.append("req/s –")
            if rps.get("error"):
                notes.append(rps["error"][:60])
        else:
            r = rps["rps"]
            parts.append(f"{r:.0f} req/s" if r >= 10 else f"{r:.1f} req/s")
            if rps.get("errors"):
                notes.append(f"{rps['errors']} non-200 of {rps.get('total')}")
    out = " · ".join(parts)
    if notes:
        out += " (" + "; ".join(notes) + ")"
    return out


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    meta = next((r for r in rows if r["kind"] == "meta"), {})
    want_n = meta.get("requests", 200)
    seq, rps, first, load = {}, {}, {}, {}
    phases = []
    rss_of = {}
    floor_info = None
    for r in rows:
        k = r["kind"]
        if k in ("seq", "rps", "first"):
            {"seq": seq, "rps": rps, "first": first}[k][(r["db"], r["size"], r["query"])] = r["r"]
        elif k == "load":
            load[(r["db"], r["size"])] = r
        elif k == "rss":
            rss_of[(r["db"], r["size"])] = r.get("rss_mb")
        elif k == "phase":
            phases.append(r)
        elif k == "floor":
            floor_info = r
    dbs = [d for d in ("sqlite", "postgres") if any(key[0] == d for key in seq)]
    sizes = sorted({key[1] for key in seq if key[0] in dbs})
    glare_sizes = sorted({key[1] for key in seq if key[0] == "glare"})
    have_floor = ("floor", 0, "floor") in seq

    p = print
    p("### Scale results")
    p()
    p(f"Measured {meta.get('date', '?')} at commit `{meta.get('commit', '?')}` on "
      f"{meta.get('cpus', '?')} CPUs ({meta.get('cpu', '?')}), {meta.get('memory', '?')} RAM, "
      f"Linux {meta.get('kernel', '?')}; {meta.get('rustc', '')}. Release build; server, "
      f"database, client and load generator share the machine.")
    p()
    p(f"Cells: median / p90 of {want_n} sequential requests on one keep-alive connection "
      f"(at most {meta.get('seq_max', 60):g} s; `n=` when fewer), then requests per second "
      f"answered 200 with {meta.get('connections', '?')} connections for "
      f"{meta.get('load_seconds', '?')} s ({meta.get('loadgen', '?')}). "
      f"Data: `appcat generate --seed {meta.get('seed', '?')}` (names × 10 versions, "
      f"3 tenants). Requests with the token of `bencher` in bench-a unless anonymous.")
    if have_floor and floor_info:
        p(f"Floor: {floor_info.get('nginx', 'nginx')} serving a {num(floor_info['bytes'])}-byte "
          f"static copy of a 25-row list answer (same value in every row).")
    p()
    for db in dbs or [None]:
        p(f"#### {DB_TITLES.get(db, db)}" if db else "#### Reference only (no appcat run)")
        p()
        head = ["query"] + [size_label(s) for s in sizes]
        head += [f"Glare 5.0.1, {size_label(s)}" for s in glare_sizes]
        if have_floor:
            head.append("nginx floor")
        p("| " + " | ".join(head) + " |")
        p("|" + "---|" * len(head))
        for key, label in QUERIES:
            line = [label]
            for s in sizes:
                line.append(cell(seq.get((db, s, key)), rps.get((db, s, key)), want_n))
            for s in glare_sizes:
                line.append("n/a" if key in GLARE_NA else
                            cell(seq.get(("glare", s, key)), rps.get(("glare", s, key)), want_n))
            if have_floor:
                line.append(cell(seq.get(("floor", 0, "floor")), rps.get(("floor", 0, "floor")), want_n))
            p("| " + " | ".join(line) + " |")
        p()

    p("#### First request after the bulk load (ms, no warm-up)")
    p()
    p("Each query once, in table order, on a new connection, right after the server started "
      "on the freshly loaded database (the operating system's file cache is not dropped).")
    p()
    cols = [(db, s) for db in dbs for s in sizes] + [("glare", s) for s in glare_sizes]
    head = ["query"] + [f"{DB_TITLES.get(db, 'Glare 5.0.1')} {size_label(s)}" for db, s in cols]
    p("| " + " | ".join(head) + " |")
    p("|" + "---|" * len(head))
    for key, label in QUERIES:
        line = [label]
        for db, s in cols:
            r = first.get((db, s, key))
            if db == "glare" and key in GLARE_NA:
                line.append("n/a")
            elif r is None:
                line.append("")
            else:
                line.append(ms(r.get("ms")) + ("" if r.get("status") == 200 else f" ({r.get('status')})"))
        p("| " + " | ".join(line) + " |")
    if have_floor:
        r = first.get(("floor", 0, "floor"))
        if r:
            p(f"\nnginx floor, first request: {ms(r.get('ms'))} ms.")
    p()

    p("#### Load")
    p()
    p("| target | artifacts | load (s, wall) | seconds reported by the loader | how | database size | server peak RSS (Glare: all its processes) |")
    p("|---|---|---|---|---|---|---|")
    for (db, s), r in sorted(load.items(), key=lambda kv: (kv[0][0] == "glare", kv[0][0], kv[0][1])):
        gen = r.get("gen") or {}
        how = "`appcat generate`, straight into the database" if db != "glare" else \
            f"over Glare's API: {gen.get('requests', '?')} requests ({gen.get('retried', 0)} retried " \
            "after \"database is locked\"), " + f"{gen.get('threads', '?')} threads"
        size_mb = f"{r['db_bytes'] / 1048576:.1f} MiB" if r.get("db_bytes") else "–"
        peak = r.get("rss_mb") or rss_of.get((db, s))
        rss = f"{peak} MiB" if peak else "–"
        p(f"| {DB_TITLES.get(db, 'Glare 5.0.1')} | {num(gen.get('artifacts', s))} | {r['wall']:.1f} "
          f"| {gen.get('seconds', 0):.1f} | {how} | {size_mb} | {rss} |")
    p()
    p("#### Time per phase")
    p()
    p("| phase | seconds |")
    p("|---|---|")
    for r in phases:
        p(f"| {r['what']} | {r['seconds']:.0f} |")


if __name__ == "__main__":
    main()
