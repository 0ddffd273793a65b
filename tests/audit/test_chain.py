"""The access trail's hash chain: one gap-free order, and verification that names the first entry
altered, deleted, inserted or reordered by someone writing the table directly (raw SQL with the
append-only triggers off, as an attacker owning the table would). Runs on SQLite and, under
`make test-services`, on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone

from portal.audit import chain, tasks
from portal.audit.models import AccessAction, AccessEvent, Alert, AlertKind, AuditAnchor
from portal.audit.services import record_access
from tests.conftest import require_services

pytestmark = pytest.mark.django_db


def write_events(count: int, actor=None) -> list[AccessEvent]:
    return [
        record_access(
            action=AccessAction.VIEW,
            actor=actor,
            actor_username="" if actor else f"someone{number}",
            object_type="safeguarding.case",
            object_id=str(100 + number),
            shown=[("safeguarding.case", str(100 + number))],
            detail={"n": number},
        )
        for number in range(count)
    ]


def raw(sql: str, params: list | None = None) -> None:
    """Write the table directly, bypassing the ORM and (on PostgreSQL) the triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params or [])
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def event_at(seq: int) -> AccessEvent:
    return AccessEvent.objects.get(chain_seq=seq)


@pytest.fixture
def chained(db) -> list[AccessEvent]:
    events = write_events(6)
    assert chain.chain_pending() == 6
    return [AccessEvent.objects.get(pk=event.pk) for event in events]


def test_every_content_column_is_hashed():
    fields = {field.column for field in AccessEvent._meta.concrete_fields}
    assert fields == set(chain.CANONICAL_COLUMNS) | set(chain.CHAIN_COLUMNS) | {chain.SUBJECTS_COLUMN}


# --- who was shown: the subject rows against the digest chained with each event ---------------


def test_an_event_carries_the_digest_of_what_it_showed(chained):
    from portal.audit.models import AccessEventSubject

    for event in chained:
        rows = AccessEventSubject.objects.filter(event=event).values_list("subject_type", "subject_id")
        assert event.subjects_digest == chain.subjects_digest(list(rows)) != chain.NO_SUBJECTS
    nobody = record_access(action=AccessAction.LIST, actor_username="x", object_type="safeguarding.case")
    assert nobody.subjects_digest == chain.NO_SUBJECTS
    assert chain.verify_subjects().intact and chain.verify_subjects().entries == 7


@pytest.mark.parametrize("tamper", ["remove", "add", "alter", "move", "digest"])
def test_a_subject_row_changed_behind_the_portal_is_found(chained, tamper):
    """Hiding that someone was shown a child: the rows are changed directly (SQL, triggers off)."""
    third, fifth = chained[2], chained[4]
    if tamper == "remove":
        raw("DELETE FROM audit_accesseventsubject WHERE event_id = %s", [third.pk])
    elif tamper == "add":
        raw(
            "INSERT INTO audit_accesseventsubject (event_id, subject_type, subject_id) VALUES (%s, 'analytics.nominal', 'N9')",
            [third.pk],
        )
    elif tamper == "alter":
        raw("UPDATE audit_accesseventsubject SET subject_id = '999' WHERE event_id = %s", [third.pk])
    elif tamper == "move":  # to a later event: both are wrong, the first is named
        raw("UPDATE audit_accesseventsubject SET event_id = %s WHERE event_id = %s", [fifth.pk, third.pk])
    else:  # the digest rewritten to match: the chain finds the event altered
        raw(
            "UPDATE audit_accessevent SET subjects_digest = %s WHERE id = %s",
            [chain.subjects_digest([("safeguarding.case", "999")]), third.pk],
        )
        raw("UPDATE audit_accesseventsubject SET subject_id = '999' WHERE event_id = %s", [third.pk])
        outcome = chain.verify_chain(record_anchor=False)
        assert (outcome.fault, outcome.fault_seq, outcome.fault_id) == ("altered", 3, third.pk)
        assert chain.verify_subjects().intact  # the rows match the forged digest: the chain is what tells
        return
    assert chain.verify_chain(record_anchor=False).intact  # the chain alone cannot see the rows
    found = chain.verify_subjects()
    assert (found.fault_id, found.fault_seq) == (third.pk, 3)
    with pytest.raises(CommandError, match="seq 3 .*subjects altered"):
        call_command("verify_audit", "--no-anchor", "--subjects")
    call_command("verify_audit", "--no-anchor")  # passes: the chain alone


def test_entries_from_before_the_digest_are_left_alone(chained):
    raw("UPDATE audit_accessevent SET subjects_digest = '' WHERE id = %s", [chained[0].pk])
    raw("DELETE FROM audit_accesseventsubject WHERE event_id = %s", [chained[0].pk])
    assert chain.verify_subjects().entries == 5 and chain.verify_subjects().intact


def test_chaining_gives_one_gap_free_order_in_id_order(chained):
    assert [event.chain_seq for event in chained] == [1, 2, 3, 4, 5, 6]
    assert all(len(event.chain_hash) == 64 for event in chained)
    assert len({event.chain_hash for event in chained}) == 6
    later = write_events(2)
    assert chain.chain_pending() == 2
    assert chain.chain_pending() == 0  # nothing pending: nothing changes
    assert [AccessEvent.objects.get(pk=e.pk).chain_seq for e in later] == [7, 8]


def test_post_commit_hook_chains_the_new_event(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = write_events(1)[0]
    assert callbacks, "record_access must schedule the chaining after commit"
    event.refresh_from_db()
    assert event.chain_seq == 1


def test_clean_chain_verifies_and_records_an_anchor(chained):
    outcome = chain.verify_chain()
    assert outcome.intact, outcome.describe()
    assert (outcome.entries, outcome.head_seq, outcome.head_hash) == (6, 6, chained[-1].chain_hash)
    anchor = AuditAnchor.objects.get()
    assert (anchor.chain_seq, anchor.chain_hash, anchor.entries) == (6, chained[-1].chain_hash, 6)


def test_verify_audit_command_reports_the_head(chained, capsys):
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "entries checked: 6" in out and f"head: seq 6 {chained[-1].chain_hash}" in out


def test_altered_column_is_named(chained):
    target = event_at(3)
    raw("UPDATE audit_accessevent SET object_id = %s WHERE id = %s", ["999", target.pk])
    outcome = chain.verify_chain()
    assert (outcome.fault, outcome.fault_seq, outcome.fault_id) == ("altered", 3, target.pk)
    with pytest.raises(CommandError, match=rf"first bad entry: seq 3 \(id {target.pk}\): altered"):
        call_command("verify_audit")


def test_altered_json_detail_is_named(chained):
    target = event_at(5)
    raw("UPDATE audit_accessevent SET detail = %s WHERE id = %s", ['{"n": 40}', target.pk])
    outcome = chain.verify_chain()
    assert (outcome.fault, outcome.fault_seq, outcome.fault_id) == ("altered", 5, target.pk)


def test_deleted_row_is_named(chained):
    target = event_at(4)
    raw("DELETE FROM audit_accesseventsubject WHERE event_id = %s", [target.pk])
    raw("DELETE FROM audit_accessevent WHERE id = %s", [target.pk])
    outcome = chain.verify_chain()
    assert (outcome.fault, outcome.fault_seq, outcome.fault_id) == ("deleted", 4, None)


def test_deleted_first_row_is_named(chained):
    target = event_at(1)
    raw("DELETE FROM audit_accesseventsubject WHERE event_id = %s", [target.pk])
    raw("DELETE FROM audit_accessevent WHERE id = %s", [target.pk])
    outcome = chain.verify_chain()
    assert (outcome.fault, outcome.fault_seq) == ("deleted", 1)


def test_inserted_forged_row_is_named(chained):
    # Make room at seq 3 (through negative numbers: chain_seq is unique), then forge an entry there.
    raw("UPDATE audit_accessevent SET chain_seq = -chain_seq - 1 WHERE chain_seq >= 3")
    raw("UPDATE audit_accessevent SET chain_seq = -chain_seq WHERE chain_seq < 0")
    raw(
        "INSERT INTO audit_accessevent (at, actor_username, actor_agency, action, object_type, object_id, "
        "object_repr, query, path, method, via, user_agent, reason, purpose, recipients, detail, subjects_digest, "
        "chain_seq, chain_hash) "
        "VALUES (%s, 'intruder', '', 'view', 'safeguarding.case', '1', '', '', '', '', 'web', '', '', '', '[]', '{}', '', "
        "3, %s)",
        [timezone.now(), "ab" * 32],
    )
    forged = AccessEvent.objects.get(actor_username="intruder")
    outcome = chain.verify_chain()
    assert (outcome.fault, outcome.fault_seq, outcome.fault_id) == ("inserted", 3, forged.pk)


def test_swapped_rows_are_named(chained):
    first, second = event_at(3), event_at(4)
    raw("UPDATE audit_accessevent SET chain_seq = -1 WHERE id = %s", [first.pk])
    raw("UPDATE audit_accessevent SET chain_seq = 3, chain_hash = %s WHERE id = %s", [second.chain_hash, second.pk])
    raw("UPDATE audit_accessevent SET chain_seq = 4 WHERE id = %s", [first.pk])
    outcome = chain.verify_chain()
    assert (outcome.fault, outcome.fault_seq, outcome.fault_id) == ("reordered", 3, second.pk)


def test_recomputed_plain_hash_is_not_accepted(chained):
    """An attacker who rewrites an entry and gives it a fresh SHA-256 link (not knowing the key)
    is still caught: the chain is keyed."""
    import hashlib

    target = event_at(6)
    raw(
        "UPDATE audit_accessevent SET object_id = '1', chain_hash = %s WHERE id = %s",
        [hashlib.sha256(b"x").hexdigest(), target.pk],
    )
    outcome = chain.verify_chain()
    assert (outcome.fault, outcome.fault_seq, outcome.fault_id) == ("altered", 6, target.pk)


def test_cutting_off_the_newest_entries_is_caught_by_the_anchor(chained):
    assert chain.verify_chain().intact  # anchors seq 6
    for seq in (6, 5):
        target = event_at(seq)
        raw("DELETE FROM audit_accesseventsubject WHERE event_id = %s", [target.pk])
        raw("DELETE FROM audit_accessevent WHERE id = %s", [target.pk])
    outcome = chain.verify_chain()
    assert (outcome.fault, outcome.fault_seq) == ("deleted", 6)
    assert AuditAnchor.objects.count() == 1  # a failed verification records nothing


def test_old_unchained_entry_is_a_fault_but_a_fresh_one_is_not(chained, settings):
    settings.AUDIT_CHAIN_GRACE_SECONDS = 600
    with time_machine.travel(timezone.now() - timedelta(minutes=5)):
        fresh = write_events(1)[0]
    assert chain.verify_chain().intact
    with time_machine.travel(timezone.now() - timedelta(minutes=20)):
        stale = write_events(1)[0]
    outcome = chain.verify_chain()
    assert (outcome.fault, outcome.fault_seq, outcome.fault_id) == ("unchained", None, stale.pk)
    assert fresh.pk < stale.pk  # the older-id fresh entry is within the grace


def test_verify_task_alerts_once_per_fault(chained):
    assert tasks.verify_chain().startswith("intact")
    assert not Alert.objects.filter(kind=AlertKind.AUDIT_CHAIN).exists()
    target = event_at(2)
    raw("UPDATE audit_accessevent SET reason = 'nothing to see' WHERE id = %s", [target.pk])
    tasks.verify_chain()
    tasks.verify_chain()
    alert = Alert.objects.get(kind=AlertKind.AUDIT_CHAIN)
    assert f"seq 2 (id {target.pk}): altered" in alert.message
    assert alert.detail == {"fault": "altered", "chain_seq": 2, "event_id": target.pk}
    other = event_at(5)
    raw("UPDATE audit_accessevent SET reason = 'again' WHERE id = %s", [other.pk])
    raw("UPDATE audit_accessevent SET reason = '' WHERE id = %s", [target.pk])
    tasks.verify_chain()
    assert Alert.objects.filter(kind=AlertKind.AUDIT_CHAIN).count() == 2


def test_verify_task_alerts_when_the_subject_rows_were_changed(chained):
    assert "subjects intact: 6 entries checked" in tasks.verify_chain()
    target = event_at(4)
    raw("DELETE FROM audit_accesseventsubject WHERE event_id = %s", [target.pk])
    tasks.verify_chain()
    tasks.verify_chain()
    alert = Alert.objects.get(kind=AlertKind.AUDIT_CHAIN)
    assert f"seq 4 (id {target.pk}): subjects altered" in alert.message
    assert alert.detail == {"fault": "subjects altered", "chain_seq": 4, "event_id": target.pk}


def test_chain_task_chains_pending(db):
    write_events(3)
    assert tasks.chain_pending() == 3
    assert chain.verify_chain().intact


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_give_one_gap_free_chain():
    """Eight threads write and chain at once (each event chained after its own commit, as in a
    request): one chain, seq 1..N with no gaps or forks, and it verifies."""
    require_services()
    assert connection.vendor == "postgresql"
    errors: list[BaseException] = []
    per_thread = 15

    def writer() -> None:
        try:
            for _ in range(per_thread):
                write_events(1)  # autocommit: the post-commit hook chains at once
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    chain.chain_pending()  # what a try-lock pass left pending (the beat task in production)
    seqs = list(AccessEvent.objects.order_by("chain_seq").values_list("chain_seq", flat=True))
    assert seqs == list(range(1, 8 * per_thread + 1))
    assert chain.verify_chain().intact


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tamper", ["alter", "delete_at_boundary"])
def test_parallel_verification_finds_the_first_fault_across_ranges(monkeypatch, tamper):
    """Verification split into seq ranges on separate connections (as for a large trail) still
    links each range's ends and names the first fault."""
    require_services()
    monkeypatch.setattr(chain, "VERIFY_PARALLEL_MIN", 0)
    monkeypatch.setattr(chain, "VERIFY_WORKERS", 3)
    monkeypatch.setattr(chain.os, "cpu_count", lambda: 3)
    write_events(12)
    chain.chain_pending()
    assert chain._ranges(1, 12, "postgresql") == [(1, 4), (5, 8), (9, 12)]
    clean = chain.verify_chain(record_anchor=False)
    assert clean.intact and clean.entries == 12
    if tamper == "alter":
        targets = [event_at(10), event_at(7)]
        for target in targets:
            raw("UPDATE audit_accessevent SET object_id = 'x' WHERE id = %s", [target.pk])
        expected: tuple[str, int, int | None] = ("altered", 7, targets[1].pk)
    else:  # seq 4 and 5 straddle the first two ranges
        for seq in (5, 4):
            target = event_at(seq)
            raw("DELETE FROM audit_accesseventsubject WHERE event_id = %s", [target.pk])
            raw("DELETE FROM audit_accessevent WHERE id = %s", [target.pk])
        expected = ("deleted", 4, None)
    outcome = chain.verify_chain(record_anchor=False)
    assert (outcome.fault, outcome.fault_seq, outcome.fault_id) == expected


def test_with_a_broker_chaining_leaves_the_request_for_a_task(db, settings, monkeypatch):
    """Off the request's path: a commit costs at most a cache write, none while the task this
    process queued is still to run, and the one task queued for the window (to the configured
    broker) chains them all."""
    from django.core.cache import cache

    from portal.audit import tasks

    settings.AUDIT_CHAIN_DEBOUNCE_SECONDS, settings.CELERY_TASK_ALWAYS_EAGER = 2, False
    clock = [1000.0]
    monkeypatch.setattr(chain.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(chain, "_queued_task_runs_at", 0.0)
    cache.delete("audit:chain-scheduled")
    write_events(3)
    chain.chain_pending_soon()
    assert cache.get("audit:chain-scheduled") is True  # the window's task is queued
    assert chain._queued_task_runs_at == 1002.0
    cache.delete("audit:chain-scheduled")
    clock[0] = 1001.4  # the queued task runs at 1002: a commit now needs no cache write
    chain.chain_pending_soon()
    assert cache.get("audit:chain-scheduled") is None
    clock[0] = 1001.6  # too close to the task's start to count on it
    chain.chain_pending_soon()
    assert cache.get("audit:chain-scheduled") is True and chain._queued_task_runs_at == 1003.6
    assert not AccessEvent.objects.filter(chain_seq__isnull=False).exists()  # nothing in the request
    assert tasks.chain_pending() == 3  # what the queued task does
    cache.delete("audit:chain-scheduled")
