"""Query shapes a reader (or an attacker) can type, and a restart, at scale, over HTTP.

On the scale-corpus archive (bench/search_latency.py builds it), served as `make serve`
serves it (gunicorn, 2 workers):

1. each hostile shape four at a time, three rounds: its status and slowest answer (each must
   answer within 2 s, or be refused with a 400), with an ordinary search sent meanwhile;
2. each worker's memory after them (the bar: under 400 MB resident);
3. a restart: from the moment the new server's port accepts a connection, two clients send
   the latency bar's requests for 10 s; the slowest answer (the bar: 500 ms).

Usage: .venv/bin/python bench/hostile_queries.py [--articles 100000]
"""

import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from search_latency import ROOT, arguments, cases, environment, free_port, served, worker_memory

# Words most articles of the scale corpus hold.
COMMON = [
    "said", "year", "oil", "prices", "market", "trade", "bank", "rate", "company",
    "government", "pct", "billion", "mln", "dlrs", "would", "new", "also", "last", "week",
    "share", "shares", "stock", "exchange", "sales", "profit", "net", "loss", "first",
    "quarter", "industry", "production", "officials", "minister", "group", "interest",
    "reuters", "told", "expected",
]  # fmt: skip
SHAPES = {
    "range [a TO z]": "[a TO z]",
    "range {a TO z}": "{a TO z}",
    "wildcards a* b? *": "a* b? *",
    "32 common words OR'ed": " OR ".join(COMMON[:32]),
    "33 words (over the bound)": " OR ".join(COMMON[:33]),
    "32 common words AND'ed": " ".join(COMMON[:32]),
    "phrase of 10 common words": '"' + " ".join(COMMON[:10]) + '"',
    "phrase of 20 common words": '"' + " ".join(COMMON[:20]) + '"',
    "phrase of 21 words (over)": '"' + " ".join(COMMON[:21]) + '"',
    'phrase "oil prices"': '"oil prices"',
    "10 phrases of 3 words": " OR ".join(
        '"' + " ".join(COMMON[i : i + 3]) + '"' for i in range(0, 30, 3)
    ),
    "nested parentheses": "(" * 200 + "oil" + ")" * 200,
    "operators only": 'NOT AND " OR (',
    "1000 characters": ("oil " * 250)[:1000],
    "last page": None,
}


def fetch(url: str) -> tuple[int, float]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return status, (time.perf_counter() - start) * 1000


def together(url: str, clients: int = 4) -> list[tuple[int, float]]:
    results: list[tuple[int, float]] = []
    threads = [threading.Thread(target=lambda: results.append(fetch(url))) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def hostile(base: str) -> None:
    print("each shape 4 at once, 3 rounds: statuses, slowest ms; an ordinary search meanwhile")
    ordinary = f"{base}/api/search/?q=oil"
    for name, q in SHAPES.items():
        params = {"q": "oil", "page": 500} if q is None else {"q": q}
        url = f"{base}/api/search/?" + urllib.parse.urlencode(params)
        results: list[tuple[int, float]] = []
        beside: list[tuple[int, float]] = []
        for _ in range(3):
            side = threading.Thread(target=lambda out=beside: out.append(fetch(ordinary)))
            side.start()
            results += together(url)
            side.join()
        statuses = sorted({s for s, _ in results})
        slowest = max(ms for _, ms in results)
        print(
            f"  {name:<28} {statuses} slowest {slowest:7.1f} ms; "
            f"ordinary search beside it {max(ms for _, ms in beside):6.1f} ms",
            flush=True,
        )


def restart(articles: int) -> None:
    port = free_port()
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    requests = [
        "/api/search/?" + urllib.parse.urlencode(q, doseq=True) for q in cases(articles).values()
    ]
    launched = time.perf_counter()
    server = subprocess.Popen(
        [
            gunicorn,
            "config.wsgi",
            "-c",
            "config/gunicorn.py",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=environment(articles),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.005)
        listening = time.perf_counter()
        timings: list[float] = []

        def client(offset: int) -> None:
            n, stop = offset, time.monotonic() + 10
            while time.monotonic() < stop:
                status, ms = fetch(f"http://127.0.0.1:{port}{requests[n % len(requests)]}")
                assert status == 200, status
                timings.append(ms)
                n += 1

        clients = [threading.Thread(target=client, args=(i,)) for i in range(2)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        print(
            f"restart: port listening {listening - launched:.1f} s after launch; "
            f"{len(timings)} requests in the next 10 s, first {timings[0]:.0f} ms, "
            f"slowest {max(timings):.0f} ms"
        )
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    args = arguments()
    with served(args.articles, args.rebuild) as server:
        print(f"gunicorn, 2 workers, {args.articles} articles")
        before = worker_memory(server.pid)
        hostile(server.base)
        after = worker_memory(server.pid)
        for n, (b, a) in enumerate(zip(before, after, strict=True), 1):
            print(f"worker {n} Rss: {b['rss']} MB before, {a['rss']} MB after the shapes")
    restart(args.articles)


if __name__ == "__main__":
    main()
