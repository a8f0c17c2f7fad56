"""Stopping background work on request: the work checks an event where it waits, and what it
stored before it stops stays stored."""

import threading


class Cancelled(Exception):
    """The work was asked to stop."""


def check(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise Cancelled
