"""Search workers keep freed array memory and leave warm objects out of collection
(search/worker_memory.py)."""

import ctypes
import gc
import platform

import pytest

from search.worker_memory import YOUNG_COLLECTION_EVERY, freeze_warm_objects, keep_freed_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_takes_the_settings():
    assert keep_freed_memory() is True


def test_a_c_library_without_mallopt_is_reported_not_raised(monkeypatch):
    class NoMallopt:
        def __init__(self, name):
            pass

    monkeypatch.setattr(ctypes, "CDLL", NoMallopt)
    assert keep_freed_memory() is False


def test_warm_objects_are_frozen_and_young_ones_collected_less_often():
    threshold = gc.get_threshold()
    warm = {"vocabulary": ["word"] * 3}
    try:
        freeze_warm_objects()
        assert gc.get_freeze_count() > 0
        assert gc.is_tracked(warm) and not any(o is warm for o in gc.get_objects())
        assert gc.get_threshold()[0] == YOUNG_COLLECTION_EVERY
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_gunicorn_workers_set_memory_up_around_warming(monkeypatch):
    calls = []
    monkeypatch.setattr("search.worker_memory.keep_freed_memory", lambda: calls.append("heap"))
    monkeypatch.setattr("search.warmup.warm_up", lambda: calls.append("warm"))
    monkeypatch.setattr("search.worker_memory.freeze_warm_objects", lambda: calls.append("freeze"))
    from config import gunicorn

    gunicorn.on_starting(server=None)
    assert calls == ["heap", "warm", "freeze"]  # in the master, before the port is bound
    gunicorn.post_worker_init(worker=None)
    assert calls == ["heap", "warm", "freeze"] * 2
    assert gunicorn.preload_app is True
