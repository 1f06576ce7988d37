"""The ``spotcheck`` command: Django's manage.py with the settings preset."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([os.path.basename(sys.argv[0]) or "spotcheck", *sys.argv[1:]])


if __name__ == "__main__":
    main()
