from django.db import migrations

from spotcheck.directory import name_index


class Migration(migrations.Migration):
    """The index of the names' grams for the directory's search (PostgreSQL only; see name_index)."""

    dependencies = [("directory", "0003_entity_updated_at_index")]

    operations = [migrations.RunPython(name_index.create, name_index.drop, elidable=False)]
