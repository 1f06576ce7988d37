from ._import import ImportCommand, make_help


class Command(ImportCommand):
    kind = "departments"
    help = make_help(kind)
