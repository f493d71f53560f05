"""Writes to the state's directory: a CSV of districts and schools, planned (what would change) then applied.

``directory_plan`` compares the file with the directory and writes nothing; ``directory_apply``
makes exactly the planned changes in one transaction and records them in the audit trail. The
admin shows the plan before applying it; ``manage.py load_directory`` applies it at once. The
import adds and changes, never removes: a school missing from the file stays (the plan counts them).
"""
from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import District, School, User

DIRECTORY_COLUMNS = (
    "district_state_id", "nces_lea_id", "district_name", "state", "region",
    "school_id", "school_name", "grade_low", "grade_high",
)
REQUIRED = ("district_state_id", "district_name", "state", "school_id", "school_name")
DISTRICT_FIELDS = {"nces_id": "NCES id", "name": "name", "state": "state", "region": "region"}
SCHOOL_FIELDS = {"name": "name", "grade_low": "lowest grade", "grade_high": "highest grade"}


@dataclass(frozen=True)
class DirectoryImportResult:
    districts_created: int
    districts_updated: int
    schools_created: int
    schools_updated: int


@dataclass
class Change:
    """One district or school the file adds or changes: its key, its name, and each field before/after."""

    ids: tuple[str, ...]  # (district state id,) or (district state id, school id)
    name: str
    values: dict[str, str]  # what the file says, by model field
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after); empty when added

    @property
    def key(self) -> str:
        return "/".join(self.ids)


@dataclass
class DirectoryPlan:
    districts_added: list[Change] = field(default_factory=list)
    districts_changed: list[Change] = field(default_factory=list)
    districts_unchanged: int = 0
    schools_added: list[Change] = field(default_factory=list)
    schools_changed: list[Change] = field(default_factory=list)
    schools_unchanged: int = 0
    schools_not_in_file: int = 0  # of the districts the file lists; kept as they are
    errors: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.districts_added or self.districts_changed or self.schools_added or self.schools_changed)

    @property
    def digest(self) -> str:
        """A fingerprint of the planned changes: the confirm step applies only what the preview showed."""
        parts = [[(c.ids, c.values, c.fields) for c in group] for group in (
            self.districts_added, self.districts_changed, self.schools_added, self.schools_changed)]
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]

    def audit_changes(self) -> list[dict[str, Any]]:
        """The plan as the audit trail keeps it: one before/after per added object or changed field."""
        out: list[dict[str, Any]] = []
        for kind, added, changed in (("District", self.districts_added, self.districts_changed),
                                     ("School", self.schools_added, self.schools_changed)):
            out += [{"field": f"{kind} {c.key}", "before": None, "after": c.name} for c in added]
            out += [{"field": f"{kind} {c.key} {label}", "before": before, "after": after}
                    for c in changed for label, before, after in c.fields]
        return out


def _clean(row: dict[str, str], name: str, upper: bool = False) -> str:
    value = (row.get(name) or "").strip()
    return value.upper() if upper else value


def _district_values(row: dict[str, str]) -> dict[str, str]:
    return {"nces_id": _clean(row, "nces_lea_id"), "name": _clean(row, "district_name"),
            "state": _clean(row, "state", upper=True), "region": _clean(row, "region")}


def _school_values(row: dict[str, str]) -> dict[str, str]:
    return {"name": _clean(row, "school_name"), "grade_low": _clean(row, "grade_low", upper=True),
            "grade_high": _clean(row, "grade_high", upper=True)}


def _invalid(instance: District | School, line: int, exclude: list[str]) -> list[str]:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return [f"Line {line}: {name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items()]
    return []


def _compare(ids: tuple[str, ...], name: str, stored: Any, values: dict[str, str], labels: dict[str, str]) -> Change:
    fields = [(labels[f], getattr(stored, f), v) for f, v in values.items() if getattr(stored, f) != v]
    return Change(ids, name, values, fields)


def directory_plan(*, rows: Iterable[dict[str, str]]) -> DirectoryPlan:
    """What importing ``rows`` would add and change; every bad line is named (nothing is written)."""
    rows = list(rows)
    plan = DirectoryPlan()
    ids = {_clean(r, "district_state_id") for r in rows}
    stored = {d.state_id: d for d in District.objects.filter(state_id__in=ids)}
    schools = {(s.district.state_id, s.school_id): s
               for s in School.objects.filter(district__state_id__in=ids).select_related("district")}
    first_line: dict[str, tuple[int, dict[str, str]]] = {}
    school_lines: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows, start=2):
        missing = [c for c in REQUIRED if not _clean(row, c)]
        if missing:
            plan.errors.append(f"Line {line}: {', '.join(missing)} missing.")
            continue
        key, values = _clean(row, "district_state_id"), _district_values(row)
        if key in first_line:
            seen_line, seen = first_line[key]
            if seen != values:
                plan.errors.append(f"Line {line}: district {key} is described differently on line {seen_line}.")
        else:
            first_line[key] = (line, values)
            _plan_district(plan, key, values, stored.get(key), line)
        _plan_school(plan, (key, _clean(row, "school_id")), _school_values(row), schools, school_lines, line)
    listed = set(school_lines)
    plan.schools_not_in_file = sum(1 for k in schools if k not in listed)
    return plan


def _plan_district(plan: DirectoryPlan, key: str, values: dict[str, str], stored: District | None,
                   line: int) -> None:
    plan.errors += _invalid(District(state_id=key, **values), line, exclude=[])
    name = f"{values['name']} ({key})"
    if stored is None:
        plan.districts_added.append(Change((key,), name, values))
        return
    change = _compare((key,), name, stored, values, DISTRICT_FIELDS)
    if change.fields:
        plan.districts_changed.append(change)
    else:
        plan.districts_unchanged += 1


def _plan_school(plan: DirectoryPlan, key: tuple[str, str], values: dict[str, str],
                 stored: dict[tuple[str, str], School], lines: dict[tuple[str, str], int], line: int) -> None:
    label = "/".join(key)
    if key in lines:
        plan.errors.append(f"Line {line}: school {label} is listed twice (line {lines[key]}).")
        return
    lines[key] = line
    plan.errors += _invalid(School(school_id=key[1], **values), line, exclude=["district"])
    name = f"{values['name']} ({label})"
    school = stored.get(key)
    if school is None:
        plan.schools_added.append(Change(key, name, values))
        return
    change = _compare(key, name, school, values, SCHOOL_FIELDS)
    if change.fields:
        plan.schools_changed.append(change)
    else:
        plan.schools_unchanged += 1


def directory_apply(*, plan: DirectoryPlan, user: User | None = None, note: str = "") -> DirectoryImportResult:
    """Make the planned changes (refused while the plan has errors) and record them in the audit trail."""
    if plan.errors:
        raise ValidationError(plan.errors)
    with transaction.atomic():
        District.objects.bulk_create([District(state_id=c.ids[0], **c.values) for c in plan.districts_added])
        keys = {c.ids[0] for c in (*plan.districts_changed, *plan.schools_added, *plan.schools_changed)}
        districts: dict[tuple[str, ...], Any] = {(d.state_id,): d for d in District.objects.filter(state_id__in=keys)}
        _update(districts, plan.districts_changed, list(DISTRICT_FIELDS))
        School.objects.bulk_create([School(district=districts[c.ids[:1]], school_id=c.ids[1], **c.values)
                                    for c in plan.schools_added])
        schools: dict[tuple[str, ...], Any] = {(s.district.state_id, s.school_id): s for s in School.objects.filter(
            district__in=districts.values()).select_related("district")}
        _update(schools, plan.schools_changed, list(SCHOOL_FIELDS))
        if plan.has_changes:
            _record(plan, user, note)
    return DirectoryImportResult(len(plan.districts_added), len(plan.districts_changed),
                                 len(plan.schools_added), len(plan.schools_changed))


def _update(objects: dict[tuple[str, ...], Any], changes: list[Change], fields: list[str]) -> None:
    changed = []
    for c in changes:
        obj = objects[c.ids]
        for name, value in c.values.items():
            setattr(obj, name, value)
        changed.append(obj)
    if changed:
        type(changed[0]).objects.bulk_update(changed, fields)


def _record(plan: DirectoryPlan, user: User | None, note: str) -> None:
    # Imported here: the directory is below compliance, whose audit trail records the import.
    from compliance.models import DIRECTORY_IMPORTED
    from compliance.services.audit import audit_record

    summary = (f"Directory: {len(plan.districts_added)} districts added, {len(plan.districts_changed)} changed; "
               f"{len(plan.schools_added)} schools added, {len(plan.schools_changed)} changed")
    audit_record(action=DIRECTORY_IMPORTED, actor=user, subject=summary, changes=plan.audit_changes(), note=note)


def directory_read_csv(*, fileobj: IO[str]) -> list[dict[str, str]]:
    """The rows of a directory CSV; ValidationError naming the columns it lacks."""
    reader = csv.DictReader(fileobj)
    absent = [c for c in DIRECTORY_COLUMNS if c not in (reader.fieldnames or [])]
    if absent:
        raise ValidationError(f"The CSV lacks the column(s): {', '.join(absent)}.")
    return list(reader)


def directory_import(*, rows: Iterable[dict[str, str]], user: User | None = None,
                     note: str = "") -> DirectoryImportResult:
    """Plan and apply at once (the command line); ValidationError listing every bad line."""
    return directory_apply(plan=directory_plan(rows=rows), user=user, note=note)


def directory_import_csv(*, fileobj: IO[str], user: User | None = None, note: str = "") -> DirectoryImportResult:
    return directory_import(rows=directory_read_csv(fileobj=fileobj), user=user, note=note)
