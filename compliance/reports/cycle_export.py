"""Exports of a whole cycle, CSV and XLSX: one row per district and one row per finding.

Two variants: ``state`` (exact numbers, state staff only: the caller checks
``permissions.can_export``) and ``public`` (finding messages and evidence suppressed as the PDF
and the per-submission exports suppress them). Every text cell goes through ``safe_cell``;
numbers are written as numbers. It writes only what it is handed (:class:`CycleExportData`,
gathered by ``compliance.services.exports``).
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from compliance.rules.registry import RULE_NAMES

from .evidence import EvidenceFormatter, evidence_of, finding_for_export
from .spreadsheet_safety import safe_cell
from .suppression import CellMask

VARIANTS = ("state", "public")
FORMATS = ("csv", "xlsx")
TABLES = ("districts", "findings")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_TYPE = "application/zip"
WITHHELD = "withheld: the workbook could not be read to apply small-cell suppression"

RULE_COLUMNS = [f"findings_{code}" for code in RULE_NAMES]
DISTRICT_COLUMNS = [
    "district_state_id", "district_name", "region", "status", "submission_version",
    "multigroup_d", "ed_d", "schools", "schools_flagged_int_01_03", "share_flagged_int_01_03",
    "progressivity", "comparability_failures", *RULE_COLUMNS, "decision", "decided_at",
]
FINDING_COLUMNS = [
    "district_state_id", "district_name", "rule", "severity", "scope", "school_id", "school_name", "band",
    "message", "evidence", "threshold", "review_status",
]


@dataclass
class CycleExportData:
    """Everything a cycle export prints, gathered by the caller.

    ``standings``: each district's standing (its district, newest submission, evaluation id,
    measures and counts); ``findings``: evaluation id -> its findings; ``names``: district pk ->
    school id -> the directory's school name; ``masks`` (``public`` only): evaluation id -> school
    id -> the small-cell mask of its stored workbook, None when that workbook cannot be read.
    """

    school_year: str
    min_cell: int
    standings: Sequence[Any]
    findings: dict[int, list[Any]] = field(default_factory=dict)
    names: dict[int, dict[str, str]] = field(default_factory=dict)
    masks: dict[int, dict[str, CellMask] | None] = field(default_factory=dict)


def district_row(standing) -> dict[str, Any]:
    """One district's standing as export cells; numbers stay numbers (None: empty)."""
    d, sub, decision = standing.district, standing.submission, standing.decision
    row: dict[str, Any] = {
        "district_state_id": d.state_id, "district_name": d.name, "region": d.region,
        "status": standing.stage_label, "submission_version": sub.version if sub else None,
        **{k: standing.measures.get(m) for k, m in
           (("multigroup_d", "multigroup_d"), ("ed_d", "ed_d"), ("schools", "schools"),
            ("progressivity", "progressivity"))},
        "schools_flagged_int_01_03": standing.flagged_schools if standing.evaluation_id else None,
        "share_flagged_int_01_03": standing.flagged_share,
        "comparability_failures": standing.comparability_failures,
        "decision": decision.get_outcome_display() if decision else "",
        "decided_at": decision.decided_at.isoformat(timespec="seconds") if decision else "",
    }
    for code, column in zip(RULE_NAMES, RULE_COLUMNS):
        row[column] = standing.findings_by_rule[code] if standing.evaluation_id else None
    return row


def _finding_dict(finding) -> dict[str, Any]:
    return {"rule": finding.rule, "severity": finding.severity, "scope": finding.scope,
            "school_id": finding.school_id, "band": finding.band, "message": finding.message,
            "evidence": finding.evidence}


def _exact_texts(finding: dict[str, Any], min_cell: int) -> dict[str, str]:
    """Message and evidence as district and state staff read them on screen: exact numbers."""
    ev = EvidenceFormatter(None, min_cell, str(finding["rule"]), suppress=False)
    values, thresholds = ev.rows(evidence_of(finding), every_threshold=True)
    values += [("Also", "; ".join(f"{k} {v}" for k, v in record)) for record in ev.records(evidence_of(finding))]
    return {"message": finding["message"], "evidence": "; ".join(f"{k}: {v}" for k, v in values),
            "threshold": "; ".join(f"{k}: {v}" for k, v in thresholds)}


def _public_texts(finding: dict[str, Any], masks: dict[str, CellMask] | None, min_cell: int) -> dict[str, str]:
    """Message and evidence suppressed exactly as the per-submission findings export does."""
    mask = (masks or {}).get(finding["school_id"]) if finding["scope"] == "school" else None
    if mask is None and finding["scope"] == "school":  # no raw counts: print nothing about the school
        return {"message": WITHHELD, "evidence": WITHHELD, "threshold": ""}
    printed = finding_for_export(finding, mask, min_cell)
    return {k: printed[k] for k in ("message", "evidence", "threshold")}


def finding_rows(standing, findings: Iterable, *, variant: str, min_cell: int,
                 masks: dict[str, CellMask] | None, names: dict[str, str]) -> list[dict[str, Any]]:
    """The rows of one district's findings; ``masks`` (school_id -> mask) only for ``public``."""
    rows = []
    for finding in findings:
        data = _finding_dict(finding)
        texts = _exact_texts(data, min_cell) if variant == "state" else _public_texts(data, masks, min_cell)
        school_name = names.get(finding.school_id, "") or str(evidence_of(data).get("school_name") or "")
        rows.append({
            "district_state_id": standing.district.state_id, "district_name": standing.district.name,
            **{k: data[k] for k in ("rule", "severity", "scope", "school_id", "band")},
            "school_name": school_name, **texts, "review_status": finding.get_review_status_display(),
        })
    return rows


# --- Writing ----------------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    return "" if value is None else safe_cell(value)


def write_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def write_xlsx(sheets: Sequence[tuple[str, Sequence[dict[str, Any]], Sequence[str]]]) -> bytes:
    """One sheet per (title, rows, columns); text cells are neutralized and stored as text."""
    from openpyxl import Workbook  # here, not with the module: every command loads this one
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for title, rows, columns in sheets:
        ws = workbook.create_sheet(title)
        ws.append(list(columns))
        for row in rows:
            cells = []
            for column in columns:
                cell = WriteOnlyCell(ws, value=safe_cell(row.get(column)))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever survived the neutralizer
                cells.append(cell)
            ws.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


def cycle_tables(data: CycleExportData, variant: str) -> dict[str, list[dict[str, Any]]]:
    """{"districts": rows, "findings": rows} of every district ``data`` holds."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown export variant {variant!r}.")
    rows = []
    for standing in data.standings:
        mine = data.findings.get(standing.evaluation_id, []) if standing.evaluation_id else []
        masks = data.masks.get(standing.evaluation_id) if variant == "public" and mine else None
        rows += finding_rows(standing, mine, variant=variant, min_cell=data.min_cell, masks=masks,
                             names=data.names.get(standing.district.pk, {}))
    return {"districts": [district_row(s) for s in data.standings], "findings": rows}


def check_format(fmt: str, table: str | None) -> None:
    if fmt not in FORMATS or (table is not None and table not in TABLES):
        raise ValueError(f"Unknown export format {fmt!r} / table {table!r}.")


def cycle_export_file(data: CycleExportData, variant: str, fmt: str, *,
                      table: str | None = None) -> tuple[bytes, str, str]:
    """(body, content type, file name) of the ``variant`` export of ``data`` in ``fmt``.

    XLSX holds both tables as sheets. CSV holds one: ``table`` ("districts" or "findings"), or
    without it a ZIP archive of both CSV files.
    """
    check_format(fmt, table)
    tables = cycle_tables(data, variant)
    columns = {"districts": DISTRICT_COLUMNS, "findings": FINDING_COLUMNS}
    stem = f"cycle-{data.school_year}-{variant}"
    if fmt == "xlsx":
        sheets = [(name.capitalize(), tables[name], columns[name]) for name in TABLES]
        return write_xlsx(sheets), XLSX_TYPE, f"{stem}.xlsx"
    if table is not None:
        return write_csv(tables[table], columns[table]), CSV_TYPE, f"{stem}-{table}.csv"
    files = {f"{stem}-{name}.csv": write_csv(tables[name], columns[name]) for name in TABLES}
    return _zip(files), ZIP_TYPE, f"{stem}-csv.zip"
