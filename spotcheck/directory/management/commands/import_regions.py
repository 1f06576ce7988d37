from ._import import ImportCommand, make_help


class Command(ImportCommand):
    kind = "regions"
    help = make_help(kind)
