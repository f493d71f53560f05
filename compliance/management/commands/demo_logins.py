"""python manage.py demo_logins: print the demo users' usernames and passwords (make run shows them)."""
from django.core.management.base import BaseCommand

from compliance.management.commands.seed_demo import DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo logins created by seed_demo."

    def handle(self, *args, **options):
        self.stdout.write("  Demo logins (username / password):")
        for username, role, password, *_ in DEMO_USERS:
            self.stdout.write(f"    {username:<11} {password:<22} {role.label}")
