"""A completed run's drawing is part of its evidence too: on PostgreSQL the database refuses to
change or delete a completed run's layouts (`analytics_runlayout`, `analytics_grouplayout`) or
add rows to them, with the guard functions and triggers of 0006. They are written in the
transaction that stores the run's results, before the run completes
(`analytics.layout.run_layout_store`).

SQLite has no such triggers. The reverse is a no-op on purpose, as in 0006.
"""

from importlib import import_module

from django.db import migrations

LAYOUT_TABLES = ("analytics_runlayout", "analytics_grouplayout")


def install_guard(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    part_guard = import_module("analytics.migrations.0006_completed_run_guard").part_guard
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("\n".join(statement for table in LAYOUT_TABLES for statement in part_guard(table)))


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0008_result_list_indexes"),
    ]

    operations = [migrations.RunPython(install_guard, migrations.RunPython.noop, elidable=False)]
