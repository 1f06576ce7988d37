from spotcheck.directory.management.commands._import import ImportCommand, make_help
from spotcheck.records import imports  # noqa: F401  (registers the importer)


class Command(ImportCommand):
    kind = "penalties"
    help = make_help(kind)
