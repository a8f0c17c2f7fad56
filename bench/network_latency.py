"""Who-appears-with-whom latency as readers get it: gunicorn (2 workers) over HTTP, on the
team's scale corpus (see bench/search_latency.py, which builds and serves the same archive).

Times the network of the whole archive and of a search (30 nodes), a pair timeline, and a
200-name list (190 names of the archive, 5 misspelt, 5 unknown), 30 runs each after warm-up.

Usage: .venv/bin/python bench/network_latency.py [--articles 100000] [--runs 30] [--rebuild]
"""

import json
import sqlite3
import urllib.parse
import urllib.request

from search_latency import arguments, data_dir, served, timed


def names_and_ids(articles: int) -> tuple[list[str], int, int]:
    db = sqlite3.connect(data_dir(articles) / "archive.sqlite3")
    rows = db.execute(
        "SELECT e.id, e.kind, e.name FROM archive_entity e JOIN archive_mention m "
        "ON m.entity_id = e.id GROUP BY e.id ORDER BY count(*) DESC LIMIT 190"
    ).fetchall()
    place = next(r[0] for r in rows if r[1] == "place")
    organization = next(r[0] for r in rows if r[1] == "organization")
    names = [r[2] for r in rows]
    misspelt = [name[:-2] + name[-1] + name[-2] for name in names[:5]]  # last letters swapped
    unknown = [f"Nobody Known {n}" for n in range(5)]
    return names + misspelt + unknown, place, organization


def main() -> None:
    args = arguments()
    with served(args.articles, args.rebuild) as server:
        base = server.base
        names, place, organization = names_and_ids(args.articles)
        pair = {"a": place, "b": organization}
        requests = {
            "network, whole archive (30)": f"{base}/api/network/",
            "network of 'oil' (30)": f"{base}/api/network/?q=oil",
            "pair timeline": f"{base}/api/pair/?" + urllib.parse.urlencode(pair),
            "pair timeline within 'oil'": f"{base}/api/pair/?"
            + urllib.parse.urlencode({**pair, "q": "oil"}),
            "200-name list": urllib.request.Request(
                f"{base}/api/names/",
                data=json.dumps({"names": names}).encode(),
                headers={"Content-Type": "application/json"},
            ),
            "entity page (top place)": f"{base}/entities/{place}/",
        }
        print(f"gunicorn, 2 workers, {args.runs} runs after warm-up: median / p95 ms")
        for name, request in requests.items():
            median, p95 = timed(request, args.runs)
            print(f"  {name:<30} {median:7.1f} / {p95:7.1f}", flush=True)


if __name__ == "__main__":
    main()
