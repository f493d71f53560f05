"""Create the demo state: districts of four shapes, one user per role, an open cycle, samples.

Idempotent: running it again updates the same rows and rewrites the sample workbooks.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from compliance.demo import DEMO_DISTRICTS, DEMO_STATE, demo_workbook, school_year_for, write_mistakes_sample
from compliance.models import ReportingCycle, RuleSet
from compliance.rules.ruleset import DEFAULT_RULE_SET_NAME
from compliance.workbook.template import write_workbook
from districts.models import District, Role, School, User

# Documented in the README; for the demo only (seed_demo refuses to run outside the dev profile).
DEMO_USERS = (
    ("submitter", Role.DISTRICT_SUBMITTER, "demo-submitter-pass", "Dana", "Submitter"),
    ("certifier", Role.DISTRICT_CERTIFIER, "demo-certifier-pass", "Carl", "Certifier"),
    ("reviewer", Role.STATE_REVIEWER, "demo-reviewer-pass", "Rita", "Reviewer"),
    ("supervisor", Role.STATE_SUPERVISOR, "demo-supervisor-pass", "Sam", "Supervisor"),
    ("admin", Role.STATE_ADMIN, "demo-admin-pass", "Ada", "Administrator"),
)


def write_samples(directory: Path, school_year: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for d in DEMO_DISTRICTS:
        path = directory / f"{d.key}-{d.state_id}.xlsx"
        write_workbook(path, demo_workbook(d.key, school_year))
        written.append(path)
    broken = directory / "zoned-2611-with-mistakes.xlsx"
    write_mistakes_sample(broken, demo_workbook("zoned", school_year))
    written.append(broken)
    return written


class Command(BaseCommand):
    help = "Create (or refresh) the demo state, users, open cycle and sample workbooks under var/samples/."

    def handle(self, *args, **options):
        if not settings.DEV:
            self.stderr.write("seed_demo creates users with published passwords; it runs only with DJANGO_DEV=1.")
            raise SystemExit(2)
        today = timezone.localdate()
        school_year = school_year_for(today)
        with transaction.atomic():
            districts = []
            for d in DEMO_DISTRICTS:
                district, _ = District.objects.update_or_create(
                    state_id=d.state_id,
                    defaults={"nces_id": d.nces_id, "name": d.name, "state": DEMO_STATE, "region": d.region},
                )
                districts.append(district)
                for s in demo_workbook(d.key, school_year).schools:
                    School.objects.update_or_create(
                        district=district, school_id=s.school_id,
                        defaults={"name": s.school_name, "grade_low": s.grade_low, "grade_high": s.grade_high},
                    )
            rule_set = RuleSet.objects.filter(name=DEFAULT_RULE_SET_NAME).order_by("version").first()
            if rule_set is None:  # a data migration creates it
                raise CommandError(f"No rule set named {DEFAULT_RULE_SET_NAME!r}; run `manage.py migrate` first.")
            cycle = ReportingCycle.objects.filter(school_year=school_year).first()
            if cycle is None:
                ReportingCycle.objects.create(
                    school_year=school_year, rule_set=rule_set, opens_on=today - timedelta(days=30),
                    due_on=today + timedelta(days=30), closes_on=today + timedelta(days=60),
                )
            for username, role, password, first, last in DEMO_USERS:
                user, _ = User.objects.update_or_create(
                    username=username,
                    defaults={"role": role, "first_name": first, "last_name": last,
                              "email": f"{username}@demo.example", "is_staff": role == Role.STATE_ADMIN,
                              "is_superuser": role == Role.STATE_ADMIN},
                )
                user.set_password(password)
                user.save()
                if role in (Role.DISTRICT_SUBMITTER, Role.DISTRICT_CERTIFIER):
                    user.districts.set(districts)
        samples = write_samples(settings.VAR_DIR / "samples", school_year)
        self.stdout.write(f"Demo state ready: {len(DEMO_DISTRICTS)} districts, cycle {school_year}.")
        self.stdout.write("Sample workbooks: " + ", ".join(str(p) for p in samples))
