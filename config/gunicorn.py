"""gunicorn settings that `make serve` and bench/search_latency.py use.

Each worker reads the index's caches (doc values, the did-you-mean vocabulary) before it takes
its first request, so no reader waits for them.
"""


def post_worker_init(worker) -> None:
    from search.warmup import warm_up

    warm_up()
