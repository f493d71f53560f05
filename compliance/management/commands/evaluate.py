"""python manage.py evaluate WORKBOOK.xlsx [--rule-set NAME_OR_FILE] [--json OUT|-] [--pdf OUT]

The same reading, validation, measures, rules and recommendations as the worker
(compliance.pipeline.evaluate_path). Exit 0: evaluated; 2: blocking data errors; 1: failure.
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import orjson
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.db.models import Q

from compliance.models import RuleSet
from compliance.pipeline import builtin_rule_set, evaluate_path, rule_set_ref, state_library
from compliance.rules.evaluate import RuleSetRef
from compliance.rules.model import WorkbookData
from compliance.rules.recommendation_library import DEFAULT_EAC_REGIONS, state_of_nces_id
from compliance.rules.ruleset import DEFAULT_RULE_SET_NAME, validate_params
from districts.models import District


class UsageError(Exception):
    pass


def resolve_rule_set(value: str | None) -> RuleSetRef:
    """A JSON file ({"name", "version", "params"} or bare params), a stored "Name" or "Name@3", or the default."""
    if value and Path(value).is_file():
        try:
            data = json.loads(Path(value).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"Cannot read the rule set file {value}: {exc}") from exc
        params = data.get("params", data) if isinstance(data, dict) else data
        errors = validate_params(params)
        if errors:
            raise UsageError("The rule set file is not valid:\n  " + "\n  ".join(errors))
        name = data.get("name", Path(value).stem) if isinstance(data, dict) and "params" in data else Path(value).stem
        version = str(data.get("version", "file")) if isinstance(data, dict) and "params" in data else "file"
        return RuleSetRef(name=name, version=version, params=params)
    name, _, version = (value or DEFAULT_RULE_SET_NAME).partition("@")
    try:
        qs = RuleSet.objects.filter(name=name)
        if version:
            qs = qs.filter(version=int(version))
        found = qs.order_by("-version").first()
    except (DatabaseError, ValueError):
        found = None
    if found is not None:
        return rule_set_ref(found)
    if value is None or name == DEFAULT_RULE_SET_NAME and not version:
        return builtin_rule_set()  # no database needed for the state's defaults
    raise UsageError(f"No rule set named {value!r} (and no such file).")


def district_state(district_id: str) -> str | None:
    """The district's state: from the database when it knows the district, else the NCES id's prefix."""
    if district_id:
        try:
            found = District.objects.filter(Q(state_id=district_id) | Q(nces_id=district_id)).first()
        except DatabaseError:  # no database, or not migrated: the id alone may still say
            found = None
        if found is not None:
            return found.state
    return state_of_nces_id(district_id)


def assistance_center(state: str | None) -> dict[str, str] | None:
    """The Equity Assistance Center serving the state: the administrators' table, else the built-in one."""
    if not state:
        return None
    regions = state_library()[1] or DEFAULT_EAC_REGIONS
    return regions.get(state.upper())


_FINDINGS_PER_WRITE = 1000


def write_json(result: dict, out: BinaryIO) -> None:
    """The evaluation as compact JSON (orjson: many times faster than the standard library),
    its findings written a thousand at a time, so a large district's JSON is never held whole
    in memory beside the evaluation itself."""
    out.write(b"{")
    for n, (key, value) in enumerate(result.items()):
        out.write((b"," if n else b"") + orjson.dumps(key) + b":")
        if key != "findings":
            out.write(orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY))
            continue
        out.write(b"[")
        for at in range(0, len(value), _FINDINGS_PER_WRITE):
            chunk = orjson.dumps(value[at: at + _FINDINGS_PER_WRITE], option=orjson.OPT_SERIALIZE_NUMPY)
            out.write((b"," if at else b"") + chunk[1:-1])
        out.write(b"]")
    out.write(b"}\n")


def human_summary(result: dict) -> str:
    lines = []
    district = result.get("district") or {}
    lines.append(f"{district.get('district_name') or 'Unknown district'} ({district.get('district_id') or '?'}), "
                 f"{district.get('school_year') or '?'}; rule set {result['rule_set']['name']} "
                 f"v{result['rule_set']['version']}")
    errors = [p for p in result["problems"] if p["severity"] == "error"]
    warnings = [p for p in result["problems"] if p["severity"] != "error"]
    lines.append(f"{len(errors)} blocking error(s), {len(warnings)} warning(s), {len(result['findings'])} finding(s).")
    for p in result["problems"][:50]:
        where = "!".join(str(x) for x in (p.get("sheet"), p.get("row")) if x is not None)
        col = f" [{p['column']}]" if p.get("column") else ""
        lines.append(f"  {p['code']} {p['severity']:<7} {where}{col}: {p['message']}")
    for f in result["findings"][:100]:
        lines.append(f"  {f['rule']} {f['severity']:<7} {f['message']}")
    return "\n".join(lines)


def writable_or_refuse(out: str | None) -> None:
    """Refuse, before any work, an output path that cannot be written: a missing folder, a folder."""
    if not out or out == "-":
        return
    target = Path(out)
    if target.is_dir():
        raise UsageError(f"Cannot write {out}: it is a folder; name a file in it.")
    if not target.parent.is_dir():
        raise UsageError(f"Cannot write {out}: the folder {target.parent} does not exist.")
    if not os.access(target if target.exists() else target.parent, os.W_OK):
        raise UsageError(f"Cannot write {out}: permission denied.")


@contextmanager
def output_file(out: str) -> Iterator[BinaryIO]:
    """The output file opened for writing; a failure to open it is a usage error, not a traceback."""
    try:
        fh = open(out, "wb")  # noqa: SIM115 - closed below; only the open is the user's error
    except OSError as exc:
        raise UsageError(f"Cannot write {out}: {exc.strerror or exc}.") from exc
    with fh:
        yield fh


class Command(BaseCommand):
    help = "Evaluate a workbook offline, exactly as the worker does; write JSON and/or the PDF report."
    requires_system_checks = []  # usable before the database is migrated

    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse exits 2 on a usage error, the code docs/evaluate-cli.md gives a workbook with
        # blocking errors (whose JSON a script would then look for): a usage error exits 1.
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def usage_error(message: str) -> None:
            if not getattr(parser, "called_from_command_line", False):
                raise CommandError(f"Error: {message}")  # call_command: Django's own way
            parser.print_usage(sys.stderr)
            sys.stderr.write(f"{parser.prog}: error: {message}\n")
            sys.exit(1)

        parser.error = usage_error  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser):
        parser.add_argument("workbook")
        parser.add_argument("--rule-set", dest="rule_set", default=None,
                            help="Stored rule set NAME[@VERSION] or a JSON file.")
        parser.add_argument("--json", dest="json_out", default=None,
                            help="Write the evaluation JSON here; - for stdout.")
        parser.add_argument("--pdf", dest="pdf_out", default=None, help="Write the PDF report here.")

    def handle(self, *args, **options):
        try:
            code = self.evaluate(**options)
        except UsageError as exc:
            self.stderr.write(str(exc))
            code = 1
        except Exception:  # noqa: BLE001 - any unexpected failure exits 1 with its traceback
            self.stderr.write("Unexpected failure:\n" + traceback.format_exc())
            code = 1
        sys.stdout.flush()
        sys.exit(code)

    def evaluate(self, *, workbook, rule_set, json_out, pdf_out, **_) -> int:
        path = Path(workbook)
        if not path.is_file():
            raise UsageError(f"No such file: {workbook}")
        for out in (json_out, pdf_out):
            writable_or_refuse(out)
        ref = resolve_rule_set(rule_set)
        found: dict[str, str | None] = {}

        def state_of(wb: WorkbookData) -> str | None:
            # Known once the file is read, before the rules run: one evaluation, whose
            # recommendations name the state's Equity Assistance Center.
            district_id = wb.district.district_id if wb.district else wb.district_identity.get("district_id")
            found["state"] = district_state(str(district_id or ""))
            return found["state"]

        output = evaluate_path(path, rule_set=ref, guarded=True, filename=path.name, state_of=state_of)
        result = output.result
        state = found.get("state")
        if json_out == "-":
            self.stdout.flush()
            write_json(result, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        elif json_out:
            with output_file(json_out) as fh:
                write_json(result, fh)
        blocked = any(p["severity"] == "error" for p in result["problems"])
        if json_out != "-":
            self.stdout.write(human_summary(result))
        if pdf_out and not blocked:
            # Only for --pdf: the PDF builder loads matplotlib and WeasyPrint, seconds a JSON-only run saves.
            from compliance.reports.generate import report_pdf_offline

            pdf = report_pdf_offline(result=result, workbook=output.workbook, rule_set=ref,
                                     workbook_bytes=path.read_bytes(), state=state,
                                     assistance_center=assistance_center(state))
            with output_file(pdf_out) as fh:
                fh.write(pdf)
        elif pdf_out:
            self.stderr.write("No PDF written: the workbook has blocking errors (listed above / in the JSON).")
        return 2 if blocked else 0
