from ._import import ImportCommand, make_help


class Command(ImportCommand):
    kind = "entities"
    help = make_help(kind)
