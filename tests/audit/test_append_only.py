"""The trail is append-only on PostgreSQL: the triggers refuse UPDATE, DELETE and TRUNCATE on
access events, the records they showed and django-auditlog's entries, through SQL and through
the ORM, except the chaining pass filling chain_seq/chain_hash once; and the portal's own role
loses those privileges."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from portal.audit import chain
from portal.audit.models import AccessEvent, AccessEventSubject
from tests.audit.test_chain import write_events
from tests.conftest import require_services

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def guarded(db):
    """Events and an auditlog entry, with this session's test-flush switch off."""
    require_services()
    assert connection.vendor == "postgresql"
    events = write_events(2)
    LogEntry.objects.create(content_type_id=1, object_pk="1", object_repr="x", action=0, changes={})
    with connection.cursor() as cursor:
        # Run the deferred foreign-key checks now: TRUNCATE refuses to run with them pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET portal.audit_maintenance = 'off'")
    yield events
    with connection.cursor() as cursor:
        cursor.execute("SET portal.audit_maintenance = 'on'")


def refused(sql: str, params: list | None = None) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])
    return str(caught.value)


@pytest.mark.parametrize("table", chain.APPEND_ONLY_TABLES)
def test_sql_update_delete_truncate_are_refused(guarded, table):
    assert "append-only" in refused(f"UPDATE {table} SET id = id")
    assert "append-only" in refused(f"DELETE FROM {table}")
    assert "append-only" in refused(f"TRUNCATE {table} CASCADE")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] > 0


def test_orm_changes_are_refused(guarded):
    event = guarded[0]
    event.reason = "tidied up"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessEventSubject.objects.filter(event=event).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessEvent.objects.filter(pk=event.pk).update(object_id="1")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.all().delete()
    assert AccessEvent.objects.get(pk=event.pk).reason == ""


def test_chaining_may_fill_the_chain_once_and_nothing_else(guarded):
    assert chain.chain_pending() == 2
    first = AccessEvent.objects.get(pk=guarded[0].pk)
    assert first.chain_seq == 1
    # Refilling, or filling and changing content at once, is refused.
    assert "append-only" in refused("UPDATE audit_accessevent SET chain_seq = 9 WHERE id = %s", [first.pk])
    extra = write_events(1)[0]
    assert "append-only" in refused(
        "UPDATE audit_accessevent SET chain_seq = 3, chain_hash = 'x', reason = 'y' WHERE id = %s", [extra.pk]
    )
    assert chain.chain_pending() == 1 and chain.verify_chain().intact


@pytest.fixture
def throwaway_role(db):
    require_services()
    with connection.cursor() as cursor:
        cursor.execute("DROP ROLE IF EXISTS portal_h1_app")
        cursor.execute("CREATE ROLE portal_h1_app")
        for table in chain.APPEND_ONLY_TABLES:
            cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {table} TO portal_h1_app")
    yield "portal_h1_app"
    with connection.cursor() as cursor:
        for table in chain.APPEND_ONLY_TABLES:
            cursor.execute(f"REVOKE ALL ON {table} FROM portal_h1_app")
        cursor.execute("DROP ROLE portal_h1_app")


def privileges(role: str, table: str) -> dict[str, bool]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, %s, 'UPDATE'), has_table_privilege(%s, %s, 'DELETE'), "
            "has_table_privilege(%s, %s, 'TRUNCATE'), has_table_privilege(%s, %s, 'INSERT')",
            [role, table] * 4,
        )
        update, delete, truncate, insert = cursor.fetchone()
    return {"update": update, "delete": delete, "truncate": truncate, "insert": insert}


def test_revoke_command_takes_the_privileges_from_the_configured_role(throwaway_role, settings, capsys):
    settings.AUDIT_APPEND_ONLY_ROLE = throwaway_role
    assert privileges(throwaway_role, "audit_accessevent")["delete"]
    call_command("audit_revoke_privileges")
    for table in chain.APPEND_ONLY_TABLES:
        assert privileges(throwaway_role, table) == {
            "update": False,
            "delete": False,
            "truncate": False,
            "insert": True,
        }
    with connection.cursor() as cursor:  # the chaining pass keeps its two columns
        cursor.execute(
            "SELECT has_column_privilege(%s, 'audit_accessevent', 'chain_seq', 'UPDATE'), "
            "has_column_privilege(%s, 'audit_accessevent', 'reason', 'UPDATE')",
            [throwaway_role] * 2,
        )
        assert cursor.fetchone() == (True, False)
    assert f'REVOKE UPDATE, DELETE, TRUNCATE ON auditlog_logentry FROM "{throwaway_role}"' in capsys.readouterr().out


def test_revoke_command_names_a_missing_role(db, settings):
    require_services()
    settings.AUDIT_APPEND_ONLY_ROLE = ""
    with pytest.raises(CommandError, match="No role"):
        call_command("audit_revoke_privileges")
    with pytest.raises(CommandError, match="no database role 'nobody_h1'"):
        call_command("audit_revoke_privileges", "--role", "nobody_h1")
