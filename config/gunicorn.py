"""gunicorn settings that `make serve` and bench/search_latency.py use.

Each worker reads the index's caches (doc values, the did-you-mean vocabulary) before it takes
its first request, so no reader waits for them; it keeps the memory of freed search arrays for
the next search, and leaves what it loaded out of garbage collection (search/worker_memory.py).
"""


def post_worker_init(worker) -> None:
    from search.warmup import warm_up
    from search.worker_memory import freeze_warm_objects, keep_freed_memory

    keep_freed_memory()
    warm_up()
    freeze_warm_objects()
