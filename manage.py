#!/usr/bin/env python
"""Django's command line; evaluate and make_template run offline, without a secret key."""
import os
import sys

# Commands that only read a file and write results: they serve nothing and sign nothing, so
# they run anywhere without a secret key (see OFFLINE in config/settings.py).
OFFLINE_COMMANDS = {"evaluate", "make_template"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS:
        os.environ["DJANGO_OFFLINE_COMMAND"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
