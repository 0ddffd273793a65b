"""A completed analysis run is evidence: on PostgreSQL the database itself refuses to change it.

The ORM refuses too (`AnalysisRun.save`, `delete` and `AnalysisRunQuerySet`), but raw SQL, a
data migration or a console session would not pass through it. These triggers refuse:

- UPDATE or DELETE of a run row whose stored status is 'succeeded' (deleting a run through the
  ORM deletes its results first, then the run: the whole statement sequence fails together);
- UPDATE or DELETE of a completed run's results and groups, and rows added to them;
- DELETE of a completed run's validation items, rows added to them, and changes of which run,
  record or sample an item belongs to (reviewers' verdicts stay editable).

Rows added are checked once per statement from its transition table, not per row: results are
written by COPY in bulk, and a per-row lookup would cost a query per nominal.

SQLite has no such triggers; there the ORM guard stands alone. The reverse is a no-op on
purpose: unapplying this migration must not quietly remove the protection (the statements are
idempotent, so applying it again is safe).
"""

from django.db import migrations

RESULT_TABLES = ("analytics_nominalresult", "analytics_groupresult")

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION analytics_refuse_completed_run_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'succeeded' THEN
        RAISE EXCEPTION 'analysis run % is complete and cannot change', OLD.id
            USING ERRCODE = 'restrict_violation', HINT = 'Start a new run instead.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_run_is_complete(run bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM analytics_analysisrun WHERE id = run AND status = 'succeeded');
$$;

CREATE OR REPLACE FUNCTION analytics_refuse_completed_part_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF analytics_run_is_complete(OLD.run_id) OR (TG_OP = 'UPDATE' AND analytics_run_is_complete(NEW.run_id)) THEN
        RAISE EXCEPTION '% of analysis run % cannot change: the run is complete', TG_TABLE_NAME, OLD.run_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_refuse_validation_item_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.run_id IS DISTINCT FROM OLD.run_id OR NEW.record_id IS DISTINCT FROM OLD.record_id
            OR NEW.sample IS DISTINCT FROM OLD.sample THEN
        IF analytics_run_is_complete(OLD.run_id) OR (TG_OP = 'UPDATE' AND analytics_run_is_complete(NEW.run_id)) THEN
            RAISE EXCEPTION 'the validation sample of analysis run % cannot change: the run is complete', OLD.run_id
                USING ERRCODE = 'restrict_violation', HINT = 'Only reviewers'' verdicts may change.';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_refuse_rows_added_to_completed_run() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    completed bigint;
BEGIN
    SELECT added.run_id INTO completed
    FROM added JOIN analytics_analysisrun run ON run.id = added.run_id
    WHERE run.status = 'succeeded'
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'rows cannot be added to % of analysis run %: the run is complete', TG_TABLE_NAME, completed
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""


def part_guard(table: str, change: str = "analytics_refuse_completed_part_change") -> list[str]:
    """The triggers that keep a completed run's rows in `table` as they are (also used by later
    migrations for tables added since)."""
    return [
        f"DROP TRIGGER IF EXISTS analytics_completed_guard ON {table};",
        f"CREATE TRIGGER analytics_completed_guard BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {change}();",
        f"DROP TRIGGER IF EXISTS analytics_completed_guard_insert ON {table};",
        f"CREATE TRIGGER analytics_completed_guard_insert AFTER INSERT ON {table} "
        "REFERENCING NEW TABLE AS added "
        "FOR EACH STATEMENT EXECUTE FUNCTION analytics_refuse_rows_added_to_completed_run();",
    ]


def _triggers() -> str:
    statements = [
        "DROP TRIGGER IF EXISTS analytics_completed_guard ON analytics_analysisrun;",
        "CREATE TRIGGER analytics_completed_guard BEFORE UPDATE OR DELETE ON analytics_analysisrun "
        "FOR EACH ROW EXECUTE FUNCTION analytics_refuse_completed_run_change();",
    ]
    for table in RESULT_TABLES:
        statements += part_guard(table)
    statements += part_guard("analytics_validationitem", "analytics_refuse_validation_item_change")
    return "\n".join(statements)


def install_guard(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # Straight to the cursor without parameters: the functions' RAISE formats use "%".
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FUNCTIONS)
        cursor.execute(_triggers())


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0005_run_transitions"),
    ]

    operations = [
        migrations.RunPython(install_guard, migrations.RunPython.noop, elidable=False),
    ]
