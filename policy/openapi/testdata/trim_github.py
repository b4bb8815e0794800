#!/usr/bin/env python3
"""Cut policy/openapi/testdata/github.json from GitHub's published REST
description (npm package @octokit/openapi, generated/api.github.com.json):
the path items whose templates match PREFIXES, and every component they
reach through $refs, unchanged. Usage:

    python3 trim_github.py api.github.com.json > github.json
"""
import json
import re
import sys

PREFIXES = [
    r"^/repos/\{owner\}/\{repo\}/code-scanning/",
    r"^/repos/\{owner\}/\{repo\}/dependabot/",
    r"^/repos/\{owner\}/\{repo\}/secret-scanning/",
    r"^/orgs/\{org\}/attestations",
    r"^/users/\{username\}/attestations",
    r"^/repos/\{owner\}/\{repo\}/contents/",
    r"^/repos/\{owner\}/\{repo\}/issues",
    r"^/repos/\{owner\}/\{repo\}/pulls",
    r"^/repos/\{owner\}/\{repo\}/git/",
    r"^/gists",
    r"^/markdown",
    r"^/user$",
    r"^/user/(repos|emails|keys)",
    r"^/orgs/\{org\}/(actions/secrets|hooks)",
    r"^/repos/\{owner\}/\{repo\}/releases",
]


def refs(v, out):
    if isinstance(v, dict):
        r = v.get("$ref")
        if isinstance(r, str) and r.startswith("#/"):
            out.add(r[1:])
        for x in v.values():
            refs(x, out)
    elif isinstance(v, list):
        for x in v:
            refs(x, out)


def at(doc, ptr):
    v = doc
    for tok in ptr[1:].split("/"):
        tok = tok.replace("~1", "/").replace("~0", "~")
        v = v[int(tok)] if isinstance(v, list) else v[tok]
    return v


def main():
    doc = json.load(open(sys.argv[1]))
    paths = {p: it for p, it in doc["paths"].items() if any(re.search(x, p) for x in PREFIXES)}
    need, todo = set(), set()
    refs(paths, todo)
    while todo:
        ptr = todo.pop()
        if ptr in need:
            continue
        need.add(ptr)
        refs(at(doc, ptr), todo)
    comps = {}
    for ptr in sorted(need):
        kind, name = ptr.split("/")[2:4]
        comps.setdefault(kind, {})[name] = doc["components"][kind][name]
    for kind in comps:  # keep the document's order
        comps[kind] = {k: v for k, v in doc["components"][kind].items() if k in comps[kind]}
    out = {k: v for k, v in doc.items() if k not in ("paths", "components", "x-webhooks", "webhooks")}
    out["paths"] = paths
    out["components"] = {k: comps[k] for k in doc["components"] if k in comps}
    json.dump(out, sys.stdout, separators=(",", ":"), ensure_ascii=False)


main()
