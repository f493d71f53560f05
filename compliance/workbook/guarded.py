"""Run :func:`read_workbook` in a forked child with a memory cap and a time limit.

Whatever the file does to the parser (a bomb the pre-checks did not foresee, a parser
bug that loops or allocates without bound), the caller gets back one clear error.

The child is made with a bare ``os.fork`` rather than ``multiprocessing.Process``:
Celery's prefork pool runs tasks in daemonic processes, and multiprocessing refuses
to start children from those ("daemonic processes are not allowed to have children").
"""
from __future__ import annotations

import gc
import os
import pickle  # nosec B403 # only our own forked child writes the pipe we read
import resource
import select
import signal
import time
from dataclasses import fields, is_dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

from compliance.rules.model import DataProblem, WorkbookData

from .package import Limits, file_problem
from .reader import read_workbook

# Limits is frozen, so one shared default is safe.
_DEFAULT_LIMITS = Limits()


def read_workbook_guarded(
    path: str | Path | bytes,
    *,
    limits: Limits = _DEFAULT_LIMITS,
    timeout_seconds: float = 60,
    memory_bytes: int = 1024 * 1024 * 1024,
    **kw: Any,
) -> WorkbookData:
    """:func:`read_workbook` in a forked child under RLIMIT_AS and a timeout.

    ``memory_bytes`` is what parsing may add to the address space the child inherits
    (RLIMIT_AS counts all of it, and a forked worker already holds Django, numpy, ...)."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(rfd)
        _child(wfd, path, limits, memory_bytes, kw)
    os.close(wfd)
    try:
        payload = _read_all(rfd, time.monotonic() + timeout_seconds)
    except BaseException:
        # Interrupted while waiting (a task's soft time limit, Ctrl-C): never leave a parser
        # holding its memory behind us.
        _kill(pid)
        raise
    finally:
        os.close(rfd)
    if payload is None:
        _kill(pid)
        too_long = f"Reading the file took longer than {timeout_seconds:g} seconds, so it was stopped."
        return _one(file_problem("DATA-14", too_long))
    status = _reap(pid)
    if not payload:
        return _one(_crash_problem(status, memory_bytes))
    try:
        result = _unpack(pickle.loads(payload))  # nosec B301 # bytes from our own child, never from a user
    except Exception:
        return _one(_crash_problem(status, memory_bytes))
    return result if isinstance(result, WorkbookData) else _one(_crash_problem(status, memory_bytes))


def _child(wfd: int, source: str | Path | bytes, limits: Limits, memory_bytes: int, kw: dict[str, Any]) -> None:
    code = 0
    # The child lives for one read: collecting cycles would only walk (and copy, page by page)
    # the parent's inherited objects; the memory cap still bounds what parsing allocates.
    gc.disable()
    try:
        try:
            cap = _virtual_size() + memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            result = read_workbook(source, limits=limits, **kw)
            payload = pickle.dumps(_pack(result), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(_one(_memory_problem(memory_bytes)))
        view = memoryview(payload)
        while view:
            n = os.write(wfd, view)
            view = view[n:]
    except BaseException:  # noqa: BLE001 - the parent reports an empty answer as a crash
        code = 1
    finally:
        # Skip atexit handlers and inherited cleanups (DB connections, Celery state).
        os._exit(code)


def _pack(wb: Any) -> Any:
    """The workbook with its rows as plain tuples: pickling thousands of slotted dataclasses one
    by one took about as long as reading the file; tuples pickle in C."""
    if not isinstance(wb, WorkbookData):
        return wb
    packed: dict[str, Any] = {}
    for f in fields(wb):
        value = getattr(wb, f.name)
        if isinstance(value, list) and value and is_dataclass(value[0]):
            get = attrgetter(*(g.name for g in fields(value[0])))
            packed[f.name] = _Rows(type(value[0]), [get(row) for row in value])
        else:
            packed[f.name] = value
    return packed


def _unpack(packed: Any) -> Any:
    if not isinstance(packed, dict):
        return packed
    values: dict[str, Any] = {k: [v.cls(*row) for row in v.rows] if isinstance(v, _Rows) else v
                              for k, v in packed.items()}
    return WorkbookData(**values)


class _Rows(NamedTuple):
    """A list of one dataclass's rows, as its class and each row's values in field order."""

    cls: type
    rows: list[tuple]


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes until it closes the pipe; None on timeout."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid: int) -> int:
    try:
        _, status = os.waitpid(pid, 0)
        return status
    except ChildProcessError:
        return 0


def _virtual_size() -> int:
    """Current address-space size of this process, in bytes (Linux)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _one(problem: DataProblem) -> WorkbookData:
    return WorkbookData(problems=[problem])


def _memory_problem(memory_bytes: int) -> DataProblem:
    return file_problem(
        "DATA-14",
        f"Reading the file needed more than {memory_bytes / 1048576:.0f} MB of memory, so it was stopped.",
    )


# How a reader that cannot allocate ends: a native parser aborts (SIGABRT) rather than raising,
# and the kernel kills (SIGKILL) a process over its limit.
_OUT_OF_MEMORY_SIGNALS = (signal.SIGABRT, signal.SIGKILL)


def _crash_problem(status: int, memory_bytes: int) -> DataProblem:
    mb = f"{memory_bytes / 1048576:.0f} MB"
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in _OUT_OF_MEMORY_SIGNALS:
        return file_problem(
            "DATA-14",
            f"Reading the file needed more than {mb} of memory, so it was stopped (signal "
            f"{os.WTERMSIG(status)}). A sheet with a value or formatting far below or to the right of its "
            "data, such as a cell in row 1,000,000, is read as that large.",
        )
    how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else \
        f"exit code {os.waitstatus_to_exitcode(status)}"
    return file_problem(
        "DATA-14",
        f"Reading the file stopped unexpectedly ({how}); it probably needed more than {mb} of memory.",
    )
