from spotcheck.catalog import imports  # noqa: F401  (registers the importer)
from spotcheck.directory.management.commands._import import ImportCommand, make_help


class Command(ImportCommand):
    kind = "history"
    help = make_help(kind)
