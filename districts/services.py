"""Writes to the state's directory."""
from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import District, School

DIRECTORY_COLUMNS = (
    "district_state_id", "nces_lea_id", "district_name", "state", "region",
    "school_id", "school_name", "grade_low", "grade_high",
)


@dataclass(frozen=True)
class DirectoryImportResult:
    districts_created: int
    districts_updated: int
    schools_created: int
    schools_updated: int


def directory_import(*, rows: Iterable[dict[str, str]]) -> DirectoryImportResult:
    """Create or update districts and schools; ids are kept as text (leading zeros matter)."""
    counts = {"dc": 0, "du": 0, "sc": 0, "su": 0}
    seen: dict[str, District] = {}
    with transaction.atomic():
        for line, row in enumerate(rows, start=2):
            missing = [c for c in ("district_state_id", "district_name", "state", "school_id", "school_name")
                       if not (row.get(c) or "").strip()]
            if missing:
                raise ValidationError(f"Line {line}: {', '.join(missing)} missing.")
            key = row["district_state_id"].strip()
            district = seen.get(key)
            if district is None:
                district, created = District.objects.update_or_create(
                    state_id=key,
                    defaults={
                        "nces_id": (row.get("nces_lea_id") or "").strip(),
                        "name": row["district_name"].strip(),
                        "state": row["state"].strip().upper(),
                        "region": (row.get("region") or "").strip(),
                    },
                )
                district.full_clean()
                counts["dc" if created else "du"] += 1
                seen[key] = district
            _, created = School.objects.update_or_create(
                district=district,
                school_id=row["school_id"].strip(),
                defaults={
                    "name": row["school_name"].strip(),
                    "grade_low": (row.get("grade_low") or "").strip().upper(),
                    "grade_high": (row.get("grade_high") or "").strip().upper(),
                },
            )
            counts["sc" if created else "su"] += 1
    return DirectoryImportResult(counts["dc"], counts["du"], counts["sc"], counts["su"])


def directory_import_csv(*, fileobj: IO[str]) -> DirectoryImportResult:
    reader = csv.DictReader(fileobj)
    absent = [c for c in DIRECTORY_COLUMNS if c not in (reader.fieldnames or [])]
    if absent:
        raise ValidationError(f"The CSV lacks the column(s): {', '.join(absent)}.")
    return directory_import(rows=reader)
