"""Importing bundles: all or nothing, idempotent, audited. Runs on SQLite (batched inserts) and,
under `make test-services`, on PostgreSQL (COPY into staging tables)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from analytics.importing import bundle_import
from analytics.models import Association, ImportBatch, Nominal, Record, RecordNominal, SocMembership
from portal.audit.models import AccessAction, AccessEvent

pytestmark = pytest.mark.django_db

GOOD = {
    "nominals.csv": (
        "nominal_id,surname,forenames,date_of_birth,gender,local_authority,flags\n"
        "N1,Harbottle,Reece,2010-05-01,M,Birmingham,LAC\n"
        "N2,Okoro,Dami,1995-02-11,M,Coventry,\n"
        "N3,Doyle,Maureen,,F,Sandwell,VULNERABLE_ADULT\n"
    ),
    "records.csv": (
        "record_id,source,recorded_at,offence_code,text\n"
        'R1,IMS,2026-03-01,,"Intel: N1 running a county line for N2"\n'
        "R2,CRIMES,2026-03-04,092/00,PWITS crack cocaine\n"
        "R3,COMPACT,2026-03-09,,Misper found in Shrewsbury\n"
    ),
    "record_nominals.csv": (
        "record_id,nominal_id,role\nR1,N1,SUBJECT\nR1,N2,SUSPECT\nR2,N2,ARRESTED\nR3,N1,MISSING_PERSON\n"
    ),
    "associations.csv": "nominal_id_a,nominal_id_b,kind\nN2,N3,ASSOCIATE\n",
    "soc_groups.csv": "soc_group_id,nominal_id\nSOC001,N2\n",
}


def write_bundle(directory: Path, files: Mapping[str, str | bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return directory


def snapshot() -> tuple:
    return (
        list(Nominal.objects.values_list()),
        list(Record.objects.values_list()),
        sorted(RecordNominal.objects.values_list("record_id", "nominal_id", "role")),
        sorted(Association.objects.values_list("nominal_a_id", "nominal_b_id", "kind")),
        sorted(SocMembership.objects.values_list("soc_group_id", "nominal_id")),
    )


def run_import(path: Path, user=None) -> ImportBatch:
    return bundle_import(batch=ImportBatch.objects.create(imported_by=user), path=path)


def test_a_good_bundle_is_imported_with_counts_hashes_and_an_audit_entry(tmp_path, personas):
    path = write_bundle(tmp_path / "b", GOOD)
    batch = run_import(path, personas.analyst)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert batch.counts["nominals"] == {"added": 3, "updated": 0, "unchanged": 0}
    assert batch.counts["record_nominals"] == {"added": 4, "updated": 0, "unchanged": 0}
    assert Nominal.objects.get(pk="N3").date_of_birth is None
    assert Nominal.objects.get(pk="N3").flags == "VULNERABLE_ADULT"
    expected_sha = hashlib.sha256(GOOD["records.csv"].encode()).hexdigest()
    assert {f["filename"]: f["sha256"] for f in batch.files}["records.csv"] == expected_sha
    event = AccessEvent.objects.get(action=AccessAction.IMPORT)
    assert event.actor == personas.analyst and event.object_id == str(batch.pk)
    assert batch.harm_table is not None and batch.harm_table.source == "default"


def test_importing_the_same_bundle_twice_changes_nothing(tmp_path):
    path = write_bundle(tmp_path / "b", GOOD)
    run_import(path)
    before = snapshot()
    again = run_import(path)
    assert snapshot() == before
    assert all(c["added"] == 0 and c["updated"] == 0 for c in again.counts.values())
    assert again.counts["records"]["unchanged"] == 3


def test_a_later_bundle_updates_rows_with_the_same_ids(tmp_path):
    run_import(write_bundle(tmp_path / "b1", GOOD))
    later = dict(GOOD)
    later["nominals.csv"] = GOOD["nominals.csv"].replace("Doyle,Maureen,,", "Doyle,Maureen,1961-01-30,") + (
        "N4,Price,Kai,2009-07-07,M,Walsall,\n"
    )
    batch = run_import(write_bundle(tmp_path / "b2", later))
    assert batch.counts["nominals"] == {"added": 1, "updated": 1, "unchanged": 2}
    assert str(Nominal.objects.get(pk="N3").date_of_birth) == "1961-01-30"


def test_a_link_may_name_a_nominal_from_an_earlier_import(tmp_path):
    run_import(write_bundle(tmp_path / "b1", GOOD))
    second = {
        "nominals.csv": "nominal_id,surname,forenames,date_of_birth,gender,local_authority,flags\nN9,Ward,Lee,,M,Dudley,\n",
        "records.csv": "record_id,source,recorded_at,offence_code,text\nR9,IMS,2026-04-01,,cuckooed flat\n",
        "record_nominals.csv": "record_id,nominal_id,role\nR9,N3,VICTIM\nR9,N9,SUSPECT\n",
    }
    batch = run_import(write_bundle(tmp_path / "b2", second))
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert RecordNominal.objects.filter(record_id="R9").count() == 2


BAD_INPUTS = [
    # (what, file, new content, words the message must contain)
    (
        "missing column",
        "records.csv",
        "record_id,source,recorded_at,text\nR1,IMS,2026-03-01,x\n",
        ["records.csv", "offence_code"],
    ),
    (
        "bad date",
        "records.csv",
        GOOD["records.csv"].replace("2026-03-04", "2026-13-04"),
        ["records.csv", "line 3", "recorded_at", "2026-13-04"],
    ),
    (
        "unknown id in a link file",
        "record_nominals.csv",
        GOOD["record_nominals.csv"] + "R2,N77,SUSPECT\n",
        ["record_nominals.csv", "line 6", "nominal_id", "N77"],
    ),
    (
        "duplicate id",
        "nominals.csv",
        GOOD["nominals.csv"] + "N2,Again,Dup,,M,Coventry,\n",
        ["nominals.csv", "line 5", "nominal_id", "N2"],
    ),
    (
        "wrong encoding",
        "records.csv",
        GOOD["records.csv"].encode().replace(b"Shrewsbury", b"Shr\xe9wsbury"),
        ["records.csv", "line 4", "UTF-8"],
    ),
    ("empty file", "nominals.csv", "", ["nominals.csv", "empty"]),
    (
        "unknown source system",
        "records.csv",
        GOOD["records.csv"].replace("COMPACT", "NICHE"),
        ["records.csv", "line 4", "source", "NICHE"],
    ),
]


@pytest.mark.parametrize("what,filename,content,words", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_rejected_with_a_clear_message_and_nothing_changes(tmp_path, what, filename, content, words):
    run_import(write_bundle(tmp_path / "first", GOOD))
    before = snapshot()
    bad = dict(GOOD)
    bad[filename] = content
    # Change a good row too, so a half-applied import would show.
    bad["nominals.csv" if filename != "nominals.csv" else "records.csv"] = (
        GOOD["nominals.csv"].replace("Harbottle", "Changed")
        if filename != "nominals.csv"
        else GOOD["records.csv"].replace("PWITS", "changed")
    )
    batch = run_import(write_bundle(tmp_path / "bad", bad))
    assert batch.status == ImportBatch.Status.FAILED
    message = " ".join(error["message"] for error in batch.errors)
    for word in words:
        assert word.lower() in message.lower(), f"{what}: {word!r} not in {message!r}"
    assert snapshot() == before
    assert AccessEvent.objects.filter(action=AccessAction.IMPORT, reason__startswith="rejected").exists()


def test_the_command_imports_and_reports_counts(tmp_path, capsys):
    call_command("import_bundle", str(write_bundle(tmp_path / "b", GOOD)), verbosity=0)
    out = capsys.readouterr().out
    assert "nominals" in out and "added         3" in out


def test_the_command_fails_with_the_problems(tmp_path):
    bad = dict(GOOD, **{"records.csv": GOOD["records.csv"].replace("2026-03-04", "04/03/2026")})
    with pytest.raises(CommandError, match="records.csv line 3"):
        call_command("import_bundle", str(write_bundle(tmp_path / "b", bad)), verbosity=0)
    assert not Nominal.objects.exists()


def test_a_bundle_harm_table_replaces_the_default_for_that_import(tmp_path):
    files = dict(GOOD, **{"harm_index.csv": "offence_code,description,cchi_days,ons_weight\n092/00,PWITS,1642.5,900\n"})
    batch = run_import(write_bundle(tmp_path / "b", files))
    assert batch.harm_table is not None
    assert batch.harm_table.source == "bundle"
    assert batch.harm_table.entries.get().cchi_days == 1642.5


def test_the_upload_page_imports_the_files_and_shows_the_counts(
    client, personas, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(personas.analyst)
    settings.MEDIA_ROOT = str(tmp_path)
    uploads = [SimpleUploadedFile(name, content.encode(), content_type="text/csv") for name, content in GOOD.items()]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("analytics:import_list"), {"files": uploads})
    response = client.get(response.url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Imported" in body and "record_nominals" in body
    assert Nominal.objects.count() == 3


def test_the_upload_page_refuses_unexpected_files_and_saves_nothing(client, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(personas.analyst)
    response = client.post(reverse("analytics:import_list"), {"files": [SimpleUploadedFile("people.xlsx", b"x")]})
    assert response.status_code == 200
    assert "Unexpected file name(s): people.xlsx" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_upload_page_shows_the_problems_of_a_bad_bundle(
    client, personas, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(personas.analyst)
    bad = dict(GOOD, **{"records.csv": GOOD["records.csv"].replace("2026-03-04", "2026-02-30")})
    settings.MEDIA_ROOT = str(tmp_path)
    uploads = [SimpleUploadedFile(name, content.encode()) for name, content in bad.items()]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("analytics:import_list"), {"files": uploads})
    body = client.get(response.url).content.decode()
    assert "Nothing was imported" in body and "records.csv line 3" in body
    assert not Nominal.objects.exists()
