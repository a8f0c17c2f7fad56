"""The same archive on Whoosh and on a two-node SolrCloud, side by side in one run.

Takes the scale-corpus archive `bench/search_latency.py` builds (100,000 articles of
`../shared/eval/make_scale_corpus.py`, 26 entities an article), starts a SolrCloud on loopback
(ZooKeeper and two Solr nodes, each its own JVM; a collection of 2 shards x 2 replicas), indexes
the archive into it with `manage.py check_index --rebuild` (the path an archive moving to Solr
takes), serves the archive twice with gunicorn as `make serve` does (2 workers each: one on
Whoosh, one with SEARCH_ENGINE=solr), and times the latency benchmark's ten requests on both,
alternating, then the FTS5 anchor on the same corpus. Prints each node's index size and
memory, and checks that both servers give the same counts and facets.

Usage: .venv/bin/python bench/solr_latency.py [--articles 100000] [--runs 30] [--heap 2g]
"""

import argparse
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from _django import ROOT
from search_latency import (
    ANCHORED,
    OUT,
    anchored,
    cases,
    data_dir,
    environment,
    served,
    timed,
    tree_memory,
    worker_memory,
)

sys.path.insert(0, str(ROOT))
from solr.cloud import COLLECTION, available, solr_cloud


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def indexed(cloud) -> int:
    """Articles the collection holds now (0 while it cannot say)."""
    url = f"{next(iter(cloud.nodes))}/{COLLECTION}/select?q=*:*&rows=0&wt=json"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)["response"]["numFound"]
    except OSError:
        return 0


def comparable(body: dict, query: dict) -> dict:
    """What must be equal on both engines: the count, the facets and date buckets, and the
    page of results when it is in date order (not the order of equally relevant hits)."""
    same = {"count": body["count"], "facets": body["facets"]}
    if query.get("sort") == "newest" or not query.get("q"):
        same["results"] = [result["id"] for result in body["results"]]
    return same


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--heap", default="2g", help="each Solr JVM's -Xmx")
    args = parser.parse_args()
    if reason := available():
        sys.exit(f"Cannot start Solr here: {reason}")
    if not data_dir(args.articles).exists():
        sys.exit(f"Build the archive first: .venv/bin/python bench/search_latency.py "
                 f"--articles {args.articles}")  # fmt: skip
    work = OUT / "solr"
    subprocess.run(["rm", "-rf", str(work)], check=True)
    with solr_cloud(work, nodes=2, shards=2, replicas=2, heap=args.heap) as cloud:
        solr_env = {"SEARCH_ENGINE": "solr", "SOLR_URLS": ",".join(cloud.nodes)}
        manage = [sys.executable, str(ROOT / "manage.py")]
        start = time.perf_counter()
        rebuild = subprocess.Popen(
            [*manage, "check_index", "--rebuild"],
            env={**environment(args.articles), **solr_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # How the index grows: articles indexed against disk per node, every 15 s.
        growth = []
        while rebuild.poll() is None:
            time.sleep(15)
            homes = [work / f"node-{url.rsplit(':', 1)[1].split('/')[0]}" for url in cloud.nodes]
            growth.append((indexed(cloud), max(folder_mb(home) for home in homes)))
        if rebuild.returncode:
            sys.exit("check_index --rebuild failed")
        seconds = time.perf_counter() - start
        print(
            f"indexed {args.articles} articles into Solr (check_index --rebuild) in "
            f"{seconds:.0f} s: {args.articles / seconds:.0f} articles/s"
        )
        print("growth (articles indexed: MB on the fuller node):",
              ", ".join(f"{n}: {mb:.0f}" for n, mb in growth))  # fmt: skip
        for url, process in cloud.nodes.items():
            home = work / f"node-{url.rsplit(':', 1)[1].split('/')[0]}"
            print(
                f"node {url}: index {folder_mb(home):.0f} MB on disk, "
                f"memory {tree_memory(process.pid)} MB (Pss, -Xmx{args.heap})"
            )
        medians: dict[str, dict[str, float]] = {"whoosh": {}, "solr": {}}
        with (
            served(args.articles) as whoosh,
            served(args.articles, extra_env=solr_env) as solr,
        ):
            servers = {"whoosh": whoosh, "solr": solr}
            print(f"gunicorn, 2 workers each, {args.runs} runs after warm-up: median / p95 ms")
            print(f"  {'request':<30} {'Whoosh':>17} {'SolrCloud':>17}")
            differ = []
            for name, query in cases(args.articles).items():
                line = f"  {name:<30}"
                bodies = {}
                for engine, server in servers.items():
                    url = f"{server.base}/api/search/?" + urllib.parse.urlencode(query, doseq=True)
                    median, p95 = timed(url, args.runs)
                    medians[engine][name] = median
                    line += f" {median:7.1f} / {p95:7.1f}"
                    with urllib.request.urlopen(url) as response:
                        bodies[engine] = comparable(json.load(response), query)
                print(line, flush=True)
                if bodies["whoosh"] != bodies["solr"]:
                    differ.append(name)
            print("answers (count, facets, dates, date-ordered pages) differ for:",
                  ", ".join(differ) or "none")  # fmt: skip
            for engine, server in servers.items():
                for n, memory in enumerate(worker_memory(server.pid), 1):
                    shown = ", ".join(f"{k} {v}" for k, v in memory.items())
                    print(f"{engine} worker {n} memory (MB): {shown}")
    for label, anchor, _ in anchored(args.articles, medians["whoosh"]):
        whoosh, solr = (medians[e][ANCHORED[label]] for e in ("whoosh", "solr"))
        print(f"  {label}: FTS5 {anchor} ms, Whoosh {whoosh:.1f} ms, SolrCloud {solr:.1f} ms")
    print(f"collection {COLLECTION!r}: 2 shards x 2 replicas on 2 nodes")


if __name__ == "__main__":
    main()
