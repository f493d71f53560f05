"""The one path from workbook bytes to the evaluation JSON, shared by the worker and the CLI.

Django-aware only for settings (intake limits) and for the state's editable data (rule set,
recommendation library, Equity Assistance Center table); the work itself is in
``compliance.workbook`` and ``compliance.rules``.
"""
from __future__ import annotations

import gc
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypedDict

from django.conf import settings
from django.db import DatabaseError

from compliance.models import RecommendationEntry
from compliance.rules.evaluate import EvaluationOutput, RuleSetRef, evaluate_workbook
from compliance.rules.model import WorkbookData
from compliance.rules.recommendation_library import DEFAULT_LIBRARY
from compliance.rules.ruleset import DEFAULT_RULE_SET_NAME, default_params
from compliance.selectors import eac_regions_current, recommendation_library_current
from compliance.workbook.guarded import read_workbook_guarded
from compliance.workbook.package import Limits
from compliance.workbook.reader import read_workbook


class _ReadOptions(TypedDict):
    """The keyword arguments evaluate_path hands to the reader, guarded or not."""

    limits: Limits
    expected_district_ids: set[str] | None
    expected_school_year: str | None
    filename: str | None


def intake_limits() -> Limits:
    return Limits.from_settings(settings)


def rule_set_ref(rule_set: Any) -> RuleSetRef:
    return RuleSetRef(name=rule_set.name, version=str(rule_set.version), params=rule_set.params)


def builtin_rule_set() -> RuleSetRef:
    return RuleSetRef(name=DEFAULT_RULE_SET_NAME, version="1", params=default_params())


def state_library() -> tuple[Any, Any]:
    """The recommendation library and EAC table as administrators left them (None: built-in).

    A default entry newer than the installation's library (no row has its key, active or
    not) is added to it, so new advice reaches every installation without a data migration;
    once an administrator saves or retires it, the rows decide.
    """
    try:
        library, regions = recommendation_library_current(), eac_regions_current()
        if library is not None:
            known = set(RecommendationEntry.objects.values_list("key", flat=True))
            library = (*library, *(e for e in DEFAULT_LIBRARY if e.key not in known))
        return library, regions
    except DatabaseError:  # the offline command may run where no database was migrated
        return None, None


def evaluate_path(
    source: str | Path | bytes,
    *,
    rule_set: RuleSetRef,
    expected_district_ids: set[str] | None = None,
    expected_school_year: str | None = None,
    previous_enrollment: dict[str, int] | None = None,
    state: str | None = None,
    state_of: Callable[[WorkbookData], str | None] | None = None,
    guarded: bool = True,
    filename: str | None = None,
) -> EvaluationOutput:
    """Read (under the time and memory limits), validate and evaluate one workbook.

    ``state`` names the district's state (its Equity Assistance Center); without it,
    ``state_of`` may work it out from the workbook once read (the offline command knows the
    district only from the file), so the evaluation runs once.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    limits = intake_limits()
    # The original name lets the reader tell an .xlsm or .xlsb apart when we hold only bytes.
    kwargs: _ReadOptions = {"limits": limits, "expected_district_ids": expected_district_ids,
              "expected_school_year": expected_school_year, "filename": filename}
    if guarded:
        tmp_path = None
        if isinstance(source, bytes):
            fd, tmp_path = tempfile.mkstemp(suffix=".xlsx")
            with os.fdopen(fd, "wb") as fh:
                fh.write(source)
            path: str | Path = tmp_path
        else:
            path = source
        try:
            wb = read_workbook_guarded(
                path,
                timeout_seconds=settings.WORKBOOK_PARSE_TIMEOUT_SECONDS,
                memory_bytes=settings.WORKBOOK_PARSE_MEMORY_BYTES,
                **kwargs,
            )
        finally:
            if tmp_path:
                os.unlink(tmp_path)
    else:
        wb = read_workbook(source, **kwargs)
    timings["parse"] = round(time.perf_counter() - t0, 4)
    library, eac_regions = state_library() if not wb.has_errors else (None, None)
    if state is None and state_of is not None and not wb.has_errors:
        state = state_of(wb)
    with _collector_paused():
        result = evaluate_workbook(
            wb,
            rule_set=rule_set,
            previous_enrollment=previous_enrollment,
            state=state,
            library=library,
            eac_regions=eac_regions,
            timings=timings,
        )
    return EvaluationOutput(result=result, workbook=wb, timings=timings)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cycle collector off while the rules run: they make hundreds of thousands of small
    objects and no cycles, and each collection walked everything the process holds (Django,
    numpy, the workbook), about a third of a large district's evaluation."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
