"""Search latency as readers get it: gunicorn (2 workers) over HTTP, on the team's scale corpus.

Builds (once) an archive from `../shared/eval/make_scale_corpus.py` output (26 entities an
article, as real NER gives) with `manage.py import_articles`, serves it as README's "Serving
for real" does, and times the search page's requests through the JSON API (the same search,
facets, date histogram and 20 results with their entities), 30 runs each after a warm-up.
`../shared/eval/fts5_anchor.py` is run on the same corpus in the same run, as the anchor, and
the ratios are printed. Then each worker's memory.

Usage: .venv/bin/python bench/search_latency.py [--articles 100000] [--runs 30] [--rebuild]
"""

import argparse
import contextlib
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from _django import ROOT, SHARED_DATA

OUT = ROOT / "bench" / "out" / "http"
EVAL = SHARED_DATA.parent / "eval"


def data_dir(articles: int):
    return OUT / f"data-{articles}"


def build(articles: int) -> None:
    shutil.rmtree(data_dir(articles), ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    corpus = OUT / f"scale-{articles}.jsonl"
    if not corpus.exists():
        reuters = SHARED_DATA / "reuters21578" / "articles.jsonl"
        make = [sys.executable, str(EVAL / "make_scale_corpus.py"), str(reuters)]
        subprocess.run([*make, str(articles), str(corpus)], check=True)
    env = environment(articles)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    start = time.perf_counter()
    importer = subprocess.Popen([*manage, "import_articles", str(corpus)], env=env)
    peak, samples, last = 0, [(0.0, 0)], 0.0
    while importer.poll() is None:
        peak = max(peak, tree_memory(importer.pid))
        now = time.perf_counter() - start
        if now - last >= 5:
            samples.append((now, stored(articles)))
            last = now
        time.sleep(0.25)
    if importer.returncode:
        raise SystemExit(f"import_articles failed ({importer.returncode})")
    seconds = time.perf_counter() - start
    samples.append((seconds, articles))
    # Whether the rate holds as the archive grows: articles/s over each fifth of the import.
    rates = []
    for fifth in range(1, 6):
        goal = articles * fifth // 5
        begin = max((s for s in samples if s[1] <= articles * (fifth - 1) // 5), default=samples[0])
        end = min((s for s in samples if s[1] >= goal), default=samples[-1])
        if end[0] > begin[0]:
            rates.append(f"{(end[1] - begin[1]) / (end[0] - begin[0]):.0f}")
    print("import rate by fifths of the corpus (articles/s):", " ".join(rates))
    index = sum(f.stat().st_size for f in (data_dir(articles) / "whoosh_index").rglob("*.*"))
    print(
        f"imported {articles} articles in {seconds:.0f} s ({articles / seconds:.0f}/s), "
        f"peak memory {peak} MB (Pss of all its processes), index {index / 2**20:.0f} MB"
    )


def stored(articles: int) -> int:
    try:
        with sqlite3.connect(f"file:{data_dir(articles)}/archive.sqlite3?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM archive_article").fetchone()[0]
    except sqlite3.Error:
        return 0


def tree_memory(pid: int) -> int:
    """Proportional resident MB (Pss: a page shared by n processes counts 1/n in each) of a
    process and all its descendants, so pages shared after a fork count once in the sum."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) // 1024
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += tree_memory(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass  # it ended meanwhile
    return total


def environment(articles: int) -> dict:
    return {
        **os.environ,
        "ARCHIVE_DATA_DIR": str(data_dir(articles)),
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": "benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cases(articles: int) -> dict[str, dict]:
    """The requests of the latency bar, with entity ids looked up in the archive."""
    db = sqlite3.connect(data_dir(articles) / "archive.sqlite3")

    def top(kind: str, n: int) -> list[int]:
        rows = db.execute(
            "SELECT e.id FROM archive_entity e JOIN archive_mention m ON m.entity_id = e.id "
            "WHERE e.kind = ? GROUP BY e.id ORDER BY count(*) DESC LIMIT ?",
            (kind, n),
        )
        return [r[0] for r in rows]

    place_a, place_b = top("place", 2)
    # The anchor's two filters: the two place or organization entities named most often.
    pair = db.execute(
        "SELECT e.id, e.kind FROM archive_entity e JOIN archive_mention m ON m.entity_id = e.id "
        "WHERE e.kind IN ('place', 'organization') GROUP BY e.id ORDER BY count(*) DESC LIMIT 2"
    ).fetchall()
    two_filters = {"q": "trade"}
    for entity_id, kind in pair:
        two_filters.setdefault(kind, []).append(entity_id)
    return {
        "one word (oil)": {"q": "oil"},
        "rare word": {"q": "sorghum"},
        "browse everything": {},
        "word + 2 entity filters": two_filters,
        "oil + two places with OR": {"q": "oil", "place": [place_a, place_b], "place_op": "or"},
        "exclusion": {"q": "oil", "exclude_place": place_a},
        "date range": {"date_from": "1987-03-01", "date_to": "1987-03-31"},
        "page 50": {"q": "oil", "page": 50},
        "newest first": {"q": "oil", "sort": "newest"},
        "misspelling (did you mean)": {"q": "petrolium"},
    }


# The anchor's queries, and the requests of ours that answer the same question.
ANCHORED = {
    "one-word + facets": "one word (oil)",
    "browse-all + facets": "browse everything",
    "query + 2 filters + facets": "word + 2 entity filters",
}


def timed(request, runs: int) -> tuple[float, float]:
    """Median and p95 milliseconds of a URL (or urllib Request), after two warm-up calls."""
    for _ in range(2):
        urllib.request.urlopen(request).read()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        with urllib.request.urlopen(request) as response:
            response.read()
            assert response.status == 200
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]


@dataclass
class Server:
    base: str  # http://127.0.0.1:PORT
    pid: int  # gunicorn's master process


@contextlib.contextmanager
def served(articles: int, rebuild: bool = False, extra_env: dict | None = None):
    """The archive of this size (built first if needed) served as `make serve` serves it:
    gunicorn with config/gunicorn.py, 2 workers, DEBUG off; `extra_env` adds settings (such
    as another search engine)."""
    if rebuild or not data_dir(articles).exists():
        build(articles)
    manage = [sys.executable, str(ROOT / "manage.py")]
    # An archive built by an earlier version gets the tables added since.
    subprocess.run([*manage, "migrate", "-v0"], env=environment(articles), check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=environment(articles))
    port = free_port()
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    server = subprocess.Popen(
        [
            *(gunicorn, "config.wsgi", "-c", "config/gunicorn.py"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "120"),
        ],
        cwd=ROOT,
        env={**environment(articles), **(extra_env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/api/search/").read()
                break
            except OSError:
                time.sleep(0.2)
        yield Server(base, server.pid)
    finally:
        server.terminate()
        server.wait()


def worker_memory(server_pid: int) -> list[dict[str, int]]:
    """Each gunicorn worker's memory in MB from /proc/PID/smaps_rollup: resident (Rss), its
    proportional share (Pss: pages shared with the other worker, such as memory-mapped index
    files, count half each) and its private pages."""
    workers = []
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    for pid in children:
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0]) // 1024
        private = fields["Private_Clean"] + fields["Private_Dirty"]
        workers.append({"rss": fields["Rss"], "pss": fields["Pss"], "private": private})
    return workers


def anchored(articles: int, medians: dict[str, float]):
    """Run the FTS5 anchor on the same corpus (printing its output), and give (its query,
    its median ms, our median ms for the same question) for each anchored query."""
    corpus = OUT / f"scale-{articles}.jsonl"
    print("anchor (../shared/eval/fts5_anchor.py, same corpus, same run):", flush=True)
    fts5 = [sys.executable, str(EVAL / "fts5_anchor.py"), str(corpus),
            str(OUT / f"fts5-{articles}.sqlite3")]  # fmt: skip
    output = subprocess.run(fts5, check=True, capture_output=True, text=True).stdout
    print(output, end="")
    for line in output.splitlines():
        match = re.match(r"(.+?): median (\d+) ms", line)
        if match and match.group(1) in ANCHORED:
            yield match.group(1), int(match.group(2)), medians[ANCHORED[match.group(1)]]


def arguments() -> argparse.Namespace:
    """The options every HTTP benchmark takes: archive size, runs, rebuild."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    medians = {}
    with served(args.articles, args.rebuild) as server:
        print(f"gunicorn, 2 workers, {args.runs} runs after warm-up: median / p95 ms")
        for name, query in cases(args.articles).items():
            url = f"{server.base}/api/search/?" + urllib.parse.urlencode(query, doseq=True)
            median, p95 = timed(url, args.runs)
            medians[name] = median
            print(f"  {name:<30} {median:7.1f} / {p95:7.1f}", flush=True)
        for n, memory in enumerate(worker_memory(server.pid), 1):
            print(f"worker {n} memory (MB): " + ", ".join(f"{k} {v}" for k, v in memory.items()))
    for label, anchor, ours in anchored(args.articles, medians):
        print(f"  {label}: FTS5 {anchor} / archive {ours:.1f} ms = {anchor / ours:.0f}x")


if __name__ == "__main__":
    main()
