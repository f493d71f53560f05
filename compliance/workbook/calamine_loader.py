"""The calamine loader: python-calamine parses the requested sheets in worker threads.

calamine releases the GIL, so a worker parses the next sheet while the reading thread scans
and checks the ones it has. A sheet is only ever requested once its XML scan has passed
(:func:`compliance.workbook.package.scan_sheet`): calamine never sees an unchecked sheet.
"""
from __future__ import annotations

import io
import os
import queue
import threading
from typing import Any

from python_calamine import CalamineWorkbook

from .package import reject


def open_calamine(blob: bytes) -> CalamineWorkbook:
    """The workbook as calamine opens it (shared strings, styles); a refusal if it cannot."""
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(blob))
    except Exception as exc:
        raise reject("DATA-09", f"The workbook cannot be opened ({exc}).") from None


def available_cpus() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class CalamineLoader:
    """Runs ``get_sheet_by_name`` for the requested sheets in worker threads, each sheet
    once, in request order; ``result(name)`` waits for one (re-raising calamine's error).

    With ``workers`` above 1 a second worker, with its own CalamineWorkbook on the same
    bytes, parses another sheet at the same time. Without threads it parses in place."""

    def __init__(self, wb: CalamineWorkbook, blob: bytes, workers: int = 1) -> None:
        self._wb = wb
        self._blob = blob
        self._todo: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._done: dict[str, queue.SimpleQueue[tuple[bool, Any]]] = {}
        self._threads: list[threading.Thread] = []
        self._inline = False
        self._fatal: BaseException | None = None
        self._max_workers = max(1, workers)

    def request(self, name: str) -> None:
        self._done[name] = queue.SimpleQueue()
        if not self._inline and len(self._threads) < min(self._max_workers, len(self._done)):
            self._start_worker()
        self._todo.put(name)
        if self._inline:
            self._todo.put(None)
            self._work(self._wb)

    def _start_worker(self) -> None:
        # The first worker uses the open workbook; a second one opens its own.
        thread = threading.Thread(target=self._work, args=(self._wb if not self._threads else None,),
                                  name="calamine", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no thread to be had (process limits)
            if not self._threads:
                self._inline = True  # parse right here
            self._max_workers = len(self._threads)
        else:
            self._threads.append(thread)

    def result(self, name: str) -> Any:
        done = self._done[name]
        while True:
            try:
                ok, value = done.get(timeout=0.1)
                break
            except queue.Empty:
                # A worker that died (a MemoryError under a memory cap) will never answer.
                if self._fatal is not None:
                    raise self._fatal from None
                if not any(t.is_alive() for t in self._threads):
                    raise MemoryError("the calamine worker stopped") from None
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Stop after the sheets in hand (never parse more than was requested) and wait."""
        if self._threads:
            while True:  # drop what no worker has started
                try:
                    self._todo.get_nowait()
                except queue.Empty:
                    break
            for _ in self._threads:
                self._todo.put(None)
            for thread in self._threads:
                thread.join()
            self._threads = []

    def _work(self, wb: CalamineWorkbook | None) -> None:
        if wb is None:
            try:
                wb = CalamineWorkbook.from_filelike(io.BytesIO(self._blob))
            except Exception:  # (it opened once already) leave the sheets to the first worker
                return
        try:
            while (name := self._todo.get()) is not None:
                try:
                    self._done[name].put((True, wb.get_sheet_by_name(name)))
                except BaseException as exc:  # handed to the reading thread
                    self._done[name].put((False, exc))
        except BaseException as exc:  # could not even hand it over: result() raises it
            self._fatal = exc
