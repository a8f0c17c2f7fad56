"""gunicorn settings that `make serve` and bench/search_latency.py use.

The application is loaded, and the index's caches (doc values, the did-you-mean vocabulary)
read, in the master before it binds the port: a restarted server answers its first searches
at once, instead of queueing them behind each worker's warm-up, and the workers forked from
it share those pages. Each worker then only catches up with a newer index, keeps the memory
of freed search arrays for the next search, and leaves what it loaded out of garbage
collection (search/worker_memory.py).
"""

preload_app = True


def on_starting(server) -> None:
    # Runs in the master after the preloaded app is set up, before the listening socket.
    from django.db import connections

    from search.warmup import warm_up
    from search.worker_memory import freeze_warm_objects, keep_freed_memory

    keep_freed_memory()
    warm_up()
    freeze_warm_objects()
    # Workers are forked from here: none may share the master's database connection.
    connections.close_all()


def post_worker_init(worker) -> None:
    from search.warmup import warm_up
    from search.worker_memory import freeze_warm_objects, keep_freed_memory

    keep_freed_memory()
    warm_up()
    freeze_warm_objects()
