"""Cycle exports: gather from the database what the export renderer prints, and have it written."""
from __future__ import annotations

import dataclasses
from collections import Counter

from compliance.models import ReportingCycle, Submission
from compliance.reports.cycle_export import VARIANTS, CycleExportData, check_format, cycle_export_file
from compliance.reports.suppression import CellMask, privacy_min_cell, suppress_school
from compliance.selectors_statewide import DistrictStanding, cycle_findings, cycle_standings, school_directory_names
from compliance.states import PUBLISHED

from .reports import stored_workbook_read


def _masks_of(submission: Submission, min_cell: int) -> dict[str, CellMask] | None:
    """school_id -> mask from the stored workbook's raw counts (as the PDF); None if unreadable."""
    try:
        workbook = stored_workbook_read(submission=submission)
    except OSError:  # the stored file is gone
        return None
    return {s.school_id: suppress_school(s, min_cell) for s in workbook.schools}


def _published(standing: DistrictStanding) -> DistrictStanding:
    """The standing as the public may read it: a district whose newest submission the state has not decided
    keeps its row and stage, without measures, counts or findings."""
    if standing.submission is not None and standing.submission.status in PUBLISHED:
        return standing
    return dataclasses.replace(standing, evaluation_id=None, measures={}, findings_by_rule=Counter(),
                               flagged_schools=0)


def cycle_export_data(*, cycle: ReportingCycle, variant: str) -> CycleExportData:
    """Every district of the directory in ``cycle``; for ``public``, only decided results (``states.PUBLISHED``)
    and the masks of those with findings.

    Callers check ``permissions.can_export`` first: this reads every district's data.
    """
    if variant not in VARIANTS:
        raise ValueError(f"Unknown export variant {variant!r}.")
    min_cell = privacy_min_cell(cycle.rule_set.params)
    standings = cycle_standings(cycle=cycle)
    if variant == "public":  # only results the state has decided: no draft, no undecided review
        standings = [_published(s) for s in standings]
    findings = cycle_findings(standings)
    masks = {}
    if variant == "public":
        # Only a district with findings prints evidence: the others' workbooks are not re-read.
        masks = {s.evaluation_id: _masks_of(s.submission, min_cell) for s in standings
                 if s.evaluation_id and s.submission is not None and findings.get(s.evaluation_id)}
    return CycleExportData(school_year=cycle.school_year, min_cell=min_cell, standings=standings, findings=findings,
                           names=school_directory_names(standings), masks=masks)


def cycle_export(*, cycle: ReportingCycle, variant: str, fmt: str,
                 table: str | None = None) -> tuple[bytes, str, str]:
    """(body, content type, file name) of the ``variant`` export of ``cycle`` in ``fmt`` (see cycle_export_file)."""
    check_format(fmt, table)  # before the gathering: a wrong format costs no query
    return cycle_export_file(cycle_export_data(cycle=cycle, variant=variant), variant, fmt, table=table)
