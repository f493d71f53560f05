"""Run :func:`read_workbook` in a child process with a memory cap and a time limit.

Whatever the file does to the parser (a bomb the pre-checks did not foresee, a parser
bug that loops or allocates without bound), the worker gets back one clear error.
"""
from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from pathlib import Path
from typing import Any

from compliance.rules.model import WorkbookData

from .package import Limits, file_problem
from .reader import read_workbook


def _virtual_size() -> int:
    """Current address-space size of this process, in bytes (Linux)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _child(write_fd: int, source: str | Path | bytes, limits: Limits, memory_bytes: int, kw: dict[str, Any]) -> None:
    try:
        # RLIMIT_AS counts the whole address space, and a forked child starts with the
        # parent's (Django, numpy, thread stacks), so the budget is what parsing may add.
        cap = _virtual_size() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        result = read_workbook(source, limits=limits, **kw)
    except MemoryError:
        result = WorkbookData(problems=[_memory_problem(memory_bytes)])
    try:
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        payload = pickle.dumps(WorkbookData(problems=[_memory_problem(memory_bytes)]))
    with os.fdopen(write_fd, "wb") as out:
        out.write(payload)


def _memory_problem(memory_bytes: int) -> Any:
    return file_problem(
        "DATA-14",
        f"Reading the file needed more than {memory_bytes / 1048576:.0f} MB of memory, so it was stopped.",
    )


def read_workbook_guarded(
    path: str | Path | bytes,
    *,
    limits: Limits = Limits(),
    timeout_seconds: float = 60,
    memory_bytes: int = 1024 * 1024 * 1024,
    **kw: Any,
) -> WorkbookData:
    """:func:`read_workbook` in a forked child under RLIMIT_AS and a timeout.

    A bare ``os.fork`` rather than multiprocessing: Celery's prefork pool runs tasks in
    daemonic processes, which multiprocessing forbids to have children.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's code
        code = 0
        try:
            os.close(read_fd)
            _child(write_fd, path, limits, memory_bytes, kw)
        except BaseException:  # noqa: BLE001 - the parent reports a crash from the exit code
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_seconds
    timed_out = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break  # EOF: the child finished or died
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        return WorkbookData(
            problems=[
                file_problem(
                    "DATA-14",
                    f"Reading the file took longer than {timeout_seconds:g} seconds, so it was stopped.",
                )
            ]
        )
    exitcode = os.waitstatus_to_exitcode(status)
    if exitcode != 0 or not chunks:
        return WorkbookData(problems=[_crash_problem(exitcode, memory_bytes)])
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a truncated payload means the child died mid-write
        return WorkbookData(problems=[_crash_problem(exitcode, memory_bytes)])


def _crash_problem(exitcode: int | None, memory_bytes: int) -> Any:
    # A native parser that cannot allocate aborts the process rather than raising.
    return file_problem(
        "DATA-14",
        f"Reading the file stopped unexpectedly (exit code {exitcode}); it probably needed more than "
        f"{memory_bytes / 1048576:.0f} MB of memory.",
    )
