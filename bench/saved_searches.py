"""Saved searches as readers get them: gunicorn (2 workers) over HTTP, on the team's scale
corpus (see bench/search_latency.py, which builds and serves the same archive).

Three readers each keep one saved search with 200, 2,000 or 20,000 articles added since their
last visit (20,000 is as far as "My searches" looks). Times their "My searches" page (signed
in with an API token) and the search's Atom feed, 30 runs each after warm-up.

Usage: .venv/bin/python bench/saved_searches.py [--articles 100000] [--runs 30] [--rebuild]
"""

import json
import subprocess
import sys
import urllib.request

from search_latency import ROOT, arguments, environment, served, timed

BACKLOGS = [200, 2_000, 20_000]
SET_UP = """
import json
from django.contrib.auth.models import User
from archive.access import create_token
from archive.models import Article
from search.alerts import newest_id, save_search
top = newest_id()
readers = {}
for backlog in %(backlogs)r:
    User.objects.filter(username=f"bench-{backlog}").delete()
    user = User.objects.create_user(f"bench-{backlog}", f"bench{backlog}@example.org")
    saved = save_search(user, "oil", "q=oil")
    saved.seen_up_to_id = saved.created_after_id = top - backlog
    saved.save()
    readers[backlog] = {"token": create_token(user, "bench")[1], "feed": saved.get_feed_url()}
print(json.dumps(readers))
"""
TEAR_DOWN = "from django.contrib.auth.models import User; "
TEAR_DOWN += "User.objects.filter(username__startswith='bench-').delete()"


def manage_shell(articles: int, code: str) -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=environment(articles),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def main() -> None:
    args = arguments()
    with served(args.articles, args.rebuild) as server:
        out = manage_shell(args.articles, SET_UP % {"backlogs": BACKLOGS})
        readers = json.loads(out.strip().splitlines()[-1])
        try:
            print(f"gunicorn, 2 workers, {args.runs} runs after warm-up: median / p95 ms")
            for backlog, reader in readers.items():
                page = urllib.request.Request(
                    f"{server.base}/my/", headers={"Authorization": f"Bearer {reader['token']}"}
                )
                for name, request in [
                    (f"My searches, {int(backlog):,} new", page),
                    (f"Atom feed, {int(backlog):,} added", server.base + reader["feed"]),
                ]:
                    median, p95 = timed(request, args.runs)
                    print(f"  {name:<30} {median:7.1f} / {p95:7.1f}", flush=True)
        finally:
            manage_shell(args.articles, TEAR_DOWN)


if __name__ == "__main__":
    main()
