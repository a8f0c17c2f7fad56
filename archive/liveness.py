"""Whether background work is moving, and ending it when it is not: a job's heartbeat is
stamped only while its process (or a process it started: NER workers, the index writer) uses
the CPU or reads records, so a deadlocked worker stops stamping instead of looking alive."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_last_progress = time.monotonic()


def progressed() -> None:
    """Work moved on (a record read, a batch stored)."""
    global _last_progress
    _last_progress = time.monotonic()


def last_progress() -> float:
    return _last_progress


def _stat(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; the fields after it do not.
    return text[text.rindex(")") + 2 :].split()


def children(pid: int) -> list[int]:
    """The processes `pid` started (NER workers, the index writer), and theirs."""
    found, parents = [], {pid}
    with contextlib.suppress(OSError):
        entries = [int(p.name) for p in _PROC.iterdir() if p.name.isdigit()]
        by_parent: dict[int, list[int]] = {}
        for child in entries:
            fields = _stat(child)
            if fields:
                by_parent.setdefault(int(fields[1]), []).append(child)
        while parents:
            kids = [k for parent in parents for k in by_parent.get(parent, [])]
            found += kids
            parents = set(kids)
    return found


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time of a process and of the processes it started, as far as /proc tells."""
    pid = pid or os.getpid()
    total = 0
    for each in [pid, *children(pid)]:
        fields = _stat(each)
        if fields:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def kill_tree(pid: int | None = None) -> None:
    """SIGKILL a process's descendants, then the process: a hung worker ends with nothing of
    it left behind."""
    pid = pid or os.getpid()
    for child in reversed(children(pid)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
