"""Retention by archiving only: a signed export of the oldest entries, checked before any row is
removed, after which the trail still verifies from the archived head."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from portal.audit import chain
from portal.audit.models import AccessEvent, AccessEventSubject, AlertKind, AuditAnchor
from portal.audit.services import alert_raise
from tests.audit.test_chain import raw, write_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged(db):
    """Four events written seven years ago, two last week, all chained."""
    with time_machine.travel(timezone.now() - timedelta(days=7 * 365)):
        old = write_events(4)
    with time_machine.travel(timezone.now() - timedelta(days=7)):
        recent = write_events(2)
    chain.chain_pending()
    return old, recent


def archive_path(directory) -> Path:
    (path,) = directory.glob("*.jsonl")
    return path


def test_archive_writes_signed_prefix_with_manifest(aged, tmp_path, capsys):
    old, recent = aged
    call_command("archive_audit", "--out", str(tmp_path))
    archive = archive_path(tmp_path)
    lines = [json.loads(line) for line in archive.read_text().splitlines()]
    assert [line["id"] for line in lines] == [event.pk for event in old]
    assert lines[0]["subjects"] == [["safeguarding.case", "100"]]
    manifest = json.loads(archive.with_suffix(".manifest.json").read_text())
    assert (manifest["first_seq"], manifest["last_seq"], manifest["events"], manifest["subjects"]) == (1, 4, 4, 4)
    assert manifest["last_hash"] == AccessEvent.objects.get(chain_seq=4).chain_hash
    assert manifest["previous_hash"] == ""
    assert AccessEvent.objects.count() == 6  # without --delete nothing is removed
    call_command("archive_audit", "--verify", str(archive))
    assert "signature valid: 4 events, seq 1-4" in capsys.readouterr().out


def test_tampered_archive_fails_verification(aged, tmp_path):
    call_command("archive_audit", "--out", str(tmp_path))
    archive = archive_path(tmp_path)
    archive.write_text(archive.read_text().replace('"object_id": "101"', '"object_id": "999"'))
    with pytest.raises(CommandError, match="signature does not match the archive"):
        call_command("archive_audit", "--verify", str(archive))


def test_archive_signed_with_another_key_fails(aged, tmp_path, settings):
    call_command("archive_audit", "--out", str(tmp_path))
    settings.AUDIT_ARCHIVE_KEY = "another key"
    with pytest.raises(CommandError, match="signature does not match"):
        call_command("archive_audit", "--verify", str(archive_path(tmp_path)))


def test_delete_removes_archived_rows_and_verification_starts_after_them(aged, tmp_path):
    old, recent = aged
    call_command("archive_audit", "--out", str(tmp_path), "--delete")
    assert set(AccessEvent.objects.values_list("pk", flat=True)) == {event.pk for event in recent}
    assert not AccessEventSubject.objects.filter(event_id__in=[event.pk for event in old]).exists()
    assert AuditAnchor.objects.filter(entries=chain.ARCHIVED, chain_seq=4).exists()
    outcome = chain.verify_chain()
    assert outcome.intact, outcome.describe()
    assert (outcome.entries, outcome.head_seq) == (2, 6)
    # The chain carries on from the archived head.
    write_events(1)
    chain.chain_pending()
    newest = AccessEvent.objects.order_by("-chain_seq").first()
    assert newest is not None and newest.chain_seq == 7
    assert chain.verify_chain().intact


def test_archive_stops_before_an_entry_an_alert_refers_to(aged, tmp_path):
    old, _ = aged
    alert_raise(kind=AlertKind.MISUSE, message="looked up a neighbour", event=old[2])
    call_command("archive_audit", "--out", str(tmp_path), "--delete")
    manifest = json.loads(archive_path(tmp_path).with_suffix(".manifest.json").read_text())
    assert manifest["last_seq"] == 2
    assert AccessEvent.objects.filter(pk=old[2].pk).exists()
    assert chain.verify_chain().intact


def test_archive_refuses_a_trail_that_does_not_verify(aged, tmp_path):
    raw("UPDATE audit_accessevent SET reason = 'rewritten' WHERE chain_seq = 2")
    with pytest.raises(CommandError, match="does not verify"):
        call_command("archive_audit", "--out", str(tmp_path), "--delete")
    assert AccessEvent.objects.count() == 6 and not list(tmp_path.iterdir())


def test_bad_arguments_are_explained(db, tmp_path):
    with pytest.raises(CommandError, match="not a date like"):
        call_command("archive_audit", "--out", str(tmp_path), "--before", "31/01/2020")
    with pytest.raises(CommandError, match="Give --out DIR"):
        call_command("archive_audit")
    with pytest.raises(CommandError, match="is missing"):
        call_command("archive_audit", "--verify", str(tmp_path / "none.jsonl"))
