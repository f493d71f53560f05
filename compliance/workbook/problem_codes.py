"""Problem codes: DATA-01..39 are the reader's, DATA-40 and up the plausibility checks'; severity, meaning, fix."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DataCode:
    code: str
    severity: str
    title: str
    fix: str


def _codes(*items: tuple[str, str, str, str]) -> dict[str, DataCode]:
    return {c: DataCode(c, s, t, f) for c, s, t, f in items}


_NEW_TEMPLATE = "Download a fresh template, copy your data into it and save it as an Excel Workbook (.xlsx)."

DATA_CODES: dict[str, DataCode] = _codes(
    # The file itself. Each of these is the only problem reported: nothing else was read.
    ("DATA-01", "error", "The file is empty.",
     "Upload the filled-in template workbook; the file you sent has no content."),
    ("DATA-02", "error", "The file is larger than the upload limit.",
     "Remove pictures, unused sheets and formatting and save again; a district's data fits well under the limit."),
    ("DATA-03", "error", "The file is an old-format Excel 97-2003 workbook (.xls).",
     "Open it in Excel and use File > Save As > Excel Workbook (.xlsx)."),
    ("DATA-04", "error", "The file is password-protected (encrypted).",
     "Remove the password (File > Info > Protect Workbook > Encrypt with Password, clear it), save and upload again."),
    ("DATA-05", "error", "The file is a macro-enabled workbook (.xlsm).",
     "Save it as Excel Workbook (.xlsx), which drops the macros; the template needs none."),
    ("DATA-06", "error", "The file is an Excel binary workbook (.xlsb).", "Save it as Excel Workbook (.xlsx)."),
    ("DATA-07", "error", "The file is an OpenDocument spreadsheet (.ods).",
     "In LibreOffice use File > Save As and choose Excel 2007-365 (.xlsx)."),
    ("DATA-08", "error", "The file is not an Excel workbook (for example a CSV or PDF renamed to .xlsx).",
     _NEW_TEMPLATE),
    ("DATA-09", "error", "The file is damaged or incomplete and cannot be read.",
     "Open the file in Excel to check it, save it again as .xlsx and upload that copy."),
    ("DATA-10", "error", "The file unpacks to far more data than a submission can hold (a possible zip bomb).",
     _NEW_TEMPLATE),
    ("DATA-11", "error", "The file contains XML entity declarations, which a spreadsheet never needs.", _NEW_TEMPLATE),
    ("DATA-12", "error", "A sheet is wider than the template allows.",
     "Delete the extra columns to the right of the data (select them, right-click, Delete) and save."),
    ("DATA-13", "error", "A sheet has more rows than the limit.",
     "Delete empty or extra rows below your data; submit one row per school."),
    ("DATA-14", "error", "Reading the file took too long or too much memory.",
     "Remove extra sheets, formatting and empty rows, save and upload again."),
    # Sheets and columns.
    ("DATA-15", "error", "A required sheet is missing or has no rows.",
     "Add the sheet with the name shown, or start from a fresh template."),
    ("DATA-16", "warning", "The Budget sheet is missing or empty: the resource-equity rules cannot run.",
     "Fill in the Budget sheet to have teacher and spending equity checked."),
    ("DATA-17", "warning", "A sheet is not part of the template and was not read.",
     "Move its data into the template's sheets, or delete it."),
    ("DATA-18", "error", "A required column is missing.",
     "Add the column with the header shown in row 1, or start from a fresh template."),
    ("DATA-19", "warning", "A column or field is not part of the template and was not read.",
     "Rename it to the template's header if it holds template data, or delete it."),
    ("DATA-20", "error", "The same sheet, column or field appears twice.",
     "Keep one column with this header and delete or rename the other."),
    # Cells.
    ("DATA-21", "error", "A required value is blank.", "Fill in the cell."),
    ("DATA-22", "error", "The value is not a number of the right kind.",
     "Enter a plain number (a whole number for counts), without letters or notes."),
    ("DATA-23", "error", "The value is outside the allowed range.", "Correct the value to the range shown."),
    ("DATA-24", "error", "The value is not one of the allowed codes.",
     "Pick one of the allowed values from the cell's drop-down list."),
    ("DATA-25", "error", "The cell holds a formula with no saved result, or an Excel error such as #DIV/0!.",
     "Open the workbook in Excel or LibreOffice so the formulas are calculated, save, and upload again (or paste "
     "values)."),
    ("DATA-26", "error", "The same school_id appears twice in the sheet.",
     "Give each school one row; remove or correct the duplicate."),
    ("DATA-27", "error", "grade_low is above grade_high.",
     "Swap or correct the grades: grade_low is the lowest grade served."),
    ("DATA-28", "error", "The seven race columns do not add up to enrollment_total.",
     "Correct the race counts or enrollment_total so that they add up."),
    ("DATA-29", "error", "A subgroup count is larger than enrollment_total.",
     "A subgroup cannot be larger than the whole school: correct the count."),
    # The District sheet.
    ("DATA-30", "error", "A required District field is missing or blank.",
     "Fill in the field in the District sheet (field name in column A, value in column B)."),
    ("DATA-31", "error", "template_version is not 1.",
     "Use the current template (version 1) and leave template_version as 1."),
    ("DATA-32", "error", "school_year is not written as YYYY-YY.",
     "Write the school year as e.g. 2026-27 (a year and the next year's last two digits)."),
    ("DATA-33", "error", "school_year is not the year of this reporting cycle.",
     "Submit the workbook for the cycle's school year, or choose the right cycle."),
    ("DATA-34", "error", "district_id is not a district you may submit for.",
     "Check the district id in the District sheet against the district you are submitting for."),
    ("DATA-35", "error", "contact_email is not a valid email address.", "Enter an address like name@district.k12.us."),
    ("DATA-36", "error", "The Proposed sheet has rows but proposed_change_description is blank.",
     "Describe the proposed change in the District field proposed_change_description."),
    # Across sheets.
    ("DATA-37", "error", "The school_id is not on the Schools sheet.",
     "Use the school's id exactly as on the Schools sheet, or add the school there."),
    ("DATA-38", "error", "More inexperienced or out-of-field teacher FTE than state/local teacher FTE.",
     "These teachers are part of teacher_fte_state_local: correct either number."),
    ("DATA-39", "error", "Lottery admissions exceed the applicants or the seats offered.",
     "Admitted students cannot outnumber the applicants of their pool, and admitted_ed + admitted_non_ed cannot "
     "exceed seats: correct the counts."),
)
