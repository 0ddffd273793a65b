"""A completed run's drawing is part of its evidence too: on PostgreSQL the database refuses to
change or delete a completed run's layouts (`analytics_runlayout`, `analytics_grouplayout`) or
add rows to them, with the guard functions of 0006. They are written in the transaction that
stores the run's results, before the run completes (`analytics.layout.run_layout_store`).

SQLite has no such triggers. The reverse is a no-op on purpose, as in 0006.
"""

from django.db import migrations

LAYOUT_TABLES = ("analytics_runlayout", "analytics_grouplayout")


def _triggers() -> str:
    statements = []
    for table in LAYOUT_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS analytics_completed_guard ON {table};",
            f"CREATE TRIGGER analytics_completed_guard BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION analytics_refuse_completed_part_change();",
            f"DROP TRIGGER IF EXISTS analytics_completed_guard_insert ON {table};",
            f"CREATE TRIGGER analytics_completed_guard_insert AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS added "
            "FOR EACH STATEMENT EXECUTE FUNCTION analytics_refuse_rows_added_to_completed_run();",
        ]
    return "\n".join(statements)


def install_guard(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_triggers())


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0008_result_list_indexes"),
    ]

    operations = [migrations.RunPython(install_guard, migrations.RunPython.noop, elidable=False)]
