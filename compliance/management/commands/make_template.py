"""python manage.py make_template OUT.xlsx [--district STATE_ID] [--school-year 2026-27]"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance import selectors
from compliance.workbook.template import DirectorySchool, build_template
from districts.models import District


class Command(BaseCommand):
    help = (
        "Write the blank submission workbook (template v1). With --district, the District "
        "fields (school_year: the current reporting cycle's, unless --school-year), the Schools "
        "sheet's ids, names and grades and the Budget sheet's ids and names are prefilled from "
        "the state's directory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path, help="where to write the .xlsx")
        parser.add_argument("--district", metavar="STATE_ID", help="the district's state id (District.state_id)")
        parser.add_argument("--school-year", metavar="YYYY-YY", help="prefill the school year, e.g. 2026-27")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        year: str | None = options["school_year"]
        if year is not None and not re.fullmatch(r"\d{4}-\d{2}", year):
            raise CommandError(f"--school-year must look like 2026-27, not {year!r}.")
        if out.suffix.lower() != ".xlsx":
            raise CommandError(f"The output file must end in .xlsx, not {out.name!r}.")
        if not out.parent.exists():
            raise CommandError(f"The folder {out.parent} does not exist.")

        kwargs: dict[str, Any] = {"school_year": year}
        state_id: str | None = options["district"]
        if state_id is not None:
            kwargs.update(_directory(state_id))
            kwargs["school_year"] = year or _cycle_year()

        build_template(out, **kwargs)
        n = len(kwargs.get("schools") or [])
        detail = f" for {kwargs['district_name']} with {n} school{'s' if n != 1 else ''}" if state_id else ""
        self.stdout.write(self.style.SUCCESS(f"Wrote {out}{detail}."))


def _directory(state_id: str) -> dict[str, Any]:
    """The district's name and schools as the state's directory has them."""
    try:
        district = District.objects.get(state_id=state_id)
    except District.DoesNotExist:
        raise CommandError(f"No district with state id {state_id!r} exists.") from None
    schools = [
        DirectorySchool(s.school_id, s.name, s.grade_low, s.grade_high)
        for s in district.schools.all().order_by("school_id")
    ]
    return {"district_id": district.state_id, "district_name": district.name, "schools": schools}


def _cycle_year() -> str | None:
    """The school year of the cycle open today, else of the latest one (as the download view)."""
    cycle = selectors.reporting_cycle_current() or selectors.reporting_cycle_latest()
    return cycle.school_year if cycle else None
