"""manage.py load_directory: load the district and school directory from a CSV file."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from districts.services import DIRECTORY_COLUMNS, directory_import_csv


class Command(BaseCommand):
    help = f"Load the state's district and school directory from a CSV with columns: {', '.join(DIRECTORY_COLUMNS)}."

    def add_arguments(self, parser):
        parser.add_argument("csv_path")

    def handle(self, *args, csv_path, **options):
        try:
            with open(csv_path, newline="", encoding="utf-8-sig") as fh:
                result = directory_import_csv(fileobj=fh)
        except (OSError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Districts: {result.districts_created} created, {result.districts_updated} updated; "
            f"schools: {result.schools_created} created, {result.schools_updated} updated."
        )
