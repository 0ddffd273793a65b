"""Append-only audit trail on PostgreSQL: triggers refuse UPDATE, DELETE and TRUNCATE on the
access events, the records they showed and django-auditlog's entries (the chaining pass may fill
chain_seq/chain_hash once), and with AUDIT_APPEND_ONLY_ROLE set the portal's role loses those
privileges. Nothing to do on SQLite (the embedded demo)."""

from django.conf import settings
from django.db import migrations


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from portal.audit.chain import install_triggers_sql, revoke_privileges

    with schema_editor.connection.cursor() as cursor:  # no parameters: the SQL holds % signs
        for statement in install_triggers_sql():
            cursor.execute(statement)
    if settings.AUDIT_APPEND_ONLY_ROLE:
        revoke_privileges(schema_editor.connection, settings.AUDIT_APPEND_ONLY_ROLE)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from portal.audit.chain import remove_triggers_sql

    with schema_editor.connection.cursor() as cursor:
        for statement in remove_triggers_sql():
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_seed_purpose_reasons"), ("auditlog", "0017_add_actor_email")]
    operations = [migrations.RunPython(install, remove)]
