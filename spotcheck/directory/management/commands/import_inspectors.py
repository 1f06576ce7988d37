from ._import import ImportCommand, make_help


class Command(ImportCommand):
    kind = "inspectors"
    help = make_help(kind)
