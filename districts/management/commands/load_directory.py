"""manage.py load_directory: load the district and school directory from a CSV file."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from districts.services import DIRECTORY_COLUMNS, directory_apply, directory_plan, directory_read_csv


class Command(BaseCommand):
    help = f"Load the state's district and school directory from a CSV with columns: {', '.join(DIRECTORY_COLUMNS)}."

    def add_arguments(self, parser):
        parser.add_argument("csv_path")

    def handle(self, *args, csv_path, **options):
        try:
            with open(csv_path, newline="", encoding="utf-8-sig") as fh:
                plan = directory_plan(rows=directory_read_csv(fileobj=fh))
            directory_apply(plan=plan, note=f"manage.py load_directory {csv_path}")
        except (OSError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("\n".join(messages)) from exc
        self.stdout.write(
            f"Districts: {len(plan.districts_added)} added, {len(plan.districts_changed)} changed, "
            f"{plan.districts_unchanged} unchanged; schools: {len(plan.schools_added)} added, "
            f"{len(plan.schools_changed)} changed, {plan.schools_unchanged} unchanged."
        )
