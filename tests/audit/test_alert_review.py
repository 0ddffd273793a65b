"""An alert's review (allowed and refused moves, each audited), the report's counts against a
hand-computed set, the CSV export recorded as an export, the subject markers, and 404 for
everyone but auditors on every misuse page."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.audit.alerts import alert_report, alert_review, subject_marker_set
from portal.audit.misuse import evaluate_rules
from portal.audit.models import AccessAction, AccessEvent, Alert, AlertNote, AlertStatus, MisuseRuleCode, SubjectMarker
from portal.audit.services import record_access

pytestmark = pytest.mark.django_db
S = AlertStatus
R = MisuseRuleCode


def bulk_alert(user, records: int = 300) -> Alert:
    """A real alert: an export recorded on the trail and found by the bulk rule."""
    event = record_access(action=AccessAction.EXPORT, actor=user, object_type="safeguarding.case", result_count=records)
    evaluate_rules(codes=[R.BULK])
    return Alert.objects.get(rule=R.BULK, events=event)


def test_allowed_moves_each_leave_a_note_and_an_access_event(personas):
    alert = bulk_alert(personas.analyst)
    alert = alert_review(
        actor=personas.auditor, alert=alert, to=S.UNDER_REVIEW, note="Asked the analyst's line manager."
    )
    alert = alert_review(actor=personas.auditor, alert=alert, to=S.JUSTIFIED, note="A problem profile for the force.")
    assert alert.status == S.JUSTIFIED and alert.acknowledged_by == personas.auditor
    assert list(AlertNote.objects.filter(alert=alert).values_list("status_from", "status_to", "author")) == [
        (S.OPEN, S.UNDER_REVIEW, personas.auditor.pk),
        (S.UNDER_REVIEW, S.JUSTIFIED, personas.auditor.pk),
    ]
    reviews = AccessEvent.objects.filter(action=AccessAction.REVIEW, object_type="audit.alert", object_id=str(alert.pk))
    assert [e.detail for e in reviews.order_by("id")] == [
        {"from": S.OPEN, "to": S.UNDER_REVIEW},
        {"from": S.UNDER_REVIEW, "to": S.JUSTIFIED},
    ]
    direct = alert_review(
        actor=personas.auditor, alert=bulk_alert(personas.supervisor), to=S.REFERRED, note="Referred."
    )
    assert direct.status == S.REFERRED


@pytest.mark.parametrize(
    ("path", "to", "note", "message"),
    [
        ((), S.OPEN, "x", "can only be moved to"),
        ((S.UNDER_REVIEW,), S.OPEN, "x", "can only be moved to: justified"),
        ((S.JUSTIFIED,), S.REFERRED, "x", "already closed"),
        ((S.REFERRED,), S.UNDER_REVIEW, "x", "already closed"),
        ((), S.UNDER_REVIEW, "   ", "Write a note"),
        ((), "closed", "x", "not a status"),
    ],
)
def test_refused_moves_change_nothing(personas, path, to, note, message):
    alert = bulk_alert(personas.analyst)
    for step in path:
        alert = alert_review(actor=personas.auditor, alert=alert, to=step, note="step")
    notes, reviews = AlertNote.objects.count(), AccessEvent.objects.filter(action=AccessAction.REVIEW).count()
    with pytest.raises(ValidationError) as error:
        alert_review(actor=personas.auditor, alert=alert, to=to, note=note)
    assert message in " ".join(m for ms in error.value.message_dict.values() for m in ms)
    alert.refresh_from_db()
    assert alert.status == (path[-1] if path else S.OPEN)
    assert AlertNote.objects.count() == notes
    assert AccessEvent.objects.filter(action=AccessAction.REVIEW).count() == reviews


def test_only_auditors_review_and_the_refusal_is_recorded(personas):
    alert = bulk_alert(personas.analyst)
    for persona in ("supervisor", "administrator", "analyst"):
        with pytest.raises(PermissionDenied):
            alert_review(actor=getattr(personas, persona), alert=alert, to=S.JUSTIFIED, note="It was me, it was fine.")
    alert.refresh_from_db()
    assert alert.status == S.OPEN and not alert.notes.exists()
    refused = AccessEvent.objects.filter(
        action=AccessAction.REFUSED, object_type="audit.alert", object_id=str(alert.pk)
    )
    assert refused.count() == 3


def test_the_review_page_moves_the_alert_and_shows_the_events(client, personas):
    alert = bulk_alert(personas.analyst, records=321)
    client.force_login(personas.auditor)
    url = reverse("audit:alert_detail", args=[alert.pk])
    page = client.get(url).content.decode()
    assert "321" in page and "analyst" in page
    response = client.post(url, {"to": S.UNDER_REVIEW, "note": "Looking into it."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == S.UNDER_REVIEW
    refused = client.post(url, {"to": S.OPEN, "note": "Back again."})
    assert refused.status_code == 400 and "can only be moved to" in refused.content.decode()
    empty = client.post(url, {"to": S.JUSTIFIED, "note": ""})
    assert empty.status_code == 400
    alert.refresh_from_db()
    assert alert.status == S.UNDER_REVIEW and alert.notes.count() == 1
    viewed = AccessEvent.objects.filter(action=AccessAction.VIEW, actor=personas.auditor, object_type="audit.alert")
    assert viewed.filter(object_id=str(alert.pk)).exists()


def test_the_detail_lists_what_was_looked_for(client, personas, child_case):
    """A repeated-views alert names the explanations that were looked for and not found."""
    from portal.access import Access, access_grant
    from safeguarding.models import CaseKind
    from safeguarding.services import case_create

    case = case_create(
        actor=personas.mash_birmingham,
        kind=CaseKind.CHILD,
        forenames="Tia",
        surname="Marlowe",
        local_authority=personas.agencies["birmingham"],
    )
    access_grant(actor=personas.mash_manager, target=case, level=Access.READ, agency=personas.agencies["wmp"])
    for _ in range(3):
        record_access(action=AccessAction.VIEW, actor=personas.analyst, obj=case, via="web")
    evaluate_rules(codes=[R.REPEATED_NO_RELATIONSHIP])
    alert = Alert.objects.get(rule=R.REPEATED_NO_RELATIONSHIP)
    client.force_login(personas.auditor)
    page = client.get(reverse("audit:alert_detail", args=[alert.pk])).content.decode()
    assert "Explanations looked for and not found" in page
    assert "a case of this person held by the user&#x27;s team" in page
    assert "Went missing" not in page  # names, never case contents


def test_the_report_counts_match_a_hand_computed_set(client, personas):
    # Two bulk alerts for the analyst (WMP), one for a Birmingham practitioner, one refused
    # attempt by Coventry; one justified, one referred.
    a1, a2 = bulk_alert(personas.analyst), bulk_alert(personas.analyst)
    b1 = bulk_alert(personas.mash_birmingham)
    record_access(
        action=AccessAction.REFUSED, actor=personas.mash_coventry, object_type="safeguarding.case", object_id="1"
    )
    evaluate_rules()
    alert_review(actor=personas.auditor, alert=a1, to=S.JUSTIFIED, note="Planned work.")
    alert_review(actor=personas.auditor, alert=b1, to=S.REFERRED, note="No reason given.")
    del a2
    misuse = Alert.objects.exclude(rule="")
    # The tally, computed by hand from what was planted above (plus any refused-agency alert the
    # planted refusal raised, which depends on whether case 1 exists: it does not here).
    wmp, birmingham = str(personas.analyst.agency), str(personas.mash_birmingham.agency)
    today = timezone.localdate()
    report = alert_report(today, today)
    assert report.total == misuse.count() == 3
    assert dict(report.by_rule) == {"Bulk export or a large list": 3}
    assert dict(report.by_agency) == {wmp: 2, birmingham: 1}
    assert dict(report.by_outcome) == {"Open": 1, "Justified": 1, "Referred to professional standards": 1}
    assert sorted(report.rows) == sorted(
        [
            ("Bulk export or a large list", birmingham, "Referred to professional standards", 1),
            ("Bulk export or a large list", wmp, "Justified", 1),
            ("Bulk export or a large list", wmp, "Open", 1),
        ]
    )
    with pytest.raises(ValidationError):
        alert_report(today, today.replace(year=today.year - 1))
    # The CSV says the same and is recorded as an export.
    client.force_login(personas.auditor)
    response = client.get(
        reverse("audit:alert_report"), {"start": today.isoformat(), "end": today.isoformat(), "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["rule", "agency", "outcome", "alerts"] and sorted(rows[1:]) == sorted(
        [list(map(str, row)) for row in report.rows]
    )
    export = AccessEvent.objects.filter(action=AccessAction.EXPORT, actor=personas.auditor).latest("id")
    assert export.object_type == "audit.alert" and export.result_count == 3
    bad = client.get(reverse("audit:alert_report"), {"start": "2026-02-30"})
    assert bad.status_code == 400


def test_alert_list_filters(client, personas):
    bulk_alert(personas.analyst)
    bulk_alert(personas.mash_birmingham)
    client.force_login(personas.auditor)
    page = client.get(reverse("audit:alert_list"), {"user": "mash.birmingham", "rule": R.BULK}).content.decode()
    assert "mash.birmingham exported" in page and "analyst exported" not in page
    search = AccessEvent.objects.filter(action=AccessAction.SEARCH, object_type="audit.alert").latest("id")
    assert search.result_count == 1 and "user=mash.birmingham" in search.query
    assert client.get(reverse("audit:alert_list"), {"status": "nonsense"}).status_code == 400


def test_markers_set_by_a_supervisor_read_by_auditors(client, personas, child_case):
    client.force_login(personas.supervisor)
    url = reverse("audit:marker_list")
    response = client.post(
        url,
        {
            "subject_type": "safeguarding.case",
            "subject_id": str(child_case.pk),
            "kind": "high_profile",
            "reason": "A footballer's son",
        },
    )
    assert response.status_code == 302
    marker = SubjectMarker.objects.get()
    assert (marker.set_by, marker.kind) == (personas.supervisor, "high_profile")
    created = AccessEvent.objects.filter(action=AccessAction.CREATE, object_type="audit.subjectmarker").get()
    assert created.subjects.filter(subject_type="safeguarding.case", subject_id=str(child_case.pk)).exists()
    no_reason = client.post(
        url, {"subject_type": "safeguarding.case", "subject_id": str(child_case.pk), "kind": "sensitive", "reason": ""}
    )
    assert no_reason.status_code == 400 and SubjectMarker.objects.count() == 1
    unknown = client.post(
        url, {"subject_type": "safeguarding.case", "subject_id": "999999", "kind": "sensitive", "reason": "x"}
    )
    assert unknown.status_code == 404 and SubjectMarker.objects.count() == 1
    client.force_login(personas.auditor)
    page = client.get(url).content.decode()
    assert "Reece Harbottle" in page and "A footballer" in page and "Mark a person" not in page
    assert (
        client.post(
            url,
            {"subject_type": "safeguarding.case", "subject_id": str(child_case.pk), "kind": "sensitive", "reason": "x"},
        ).status_code
        == 403
    )
    assert client.post(reverse("audit:marker_remove", args=[marker.pk]), {"reason": "x"}).status_code == 404
    client.force_login(personas.supervisor)
    assert client.post(reverse("audit:marker_remove", args=[marker.pk]), {"reason": ""}).status_code == 400
    assert client.post(reverse("audit:marker_remove", args=[marker.pk]), {"reason": "Moved away"}).status_code == 302
    marker.refresh_from_db()
    assert marker.removed_by == personas.supervisor and marker.removed_at is not None
    assert AccessEvent.objects.filter(
        action=AccessAction.UPDATE, object_type="audit.subjectmarker", object_id=str(marker.pk)
    ).exists()
    with pytest.raises(PermissionDenied):
        subject_marker_set(
            actor=personas.auditor,
            subject_type="safeguarding.case",
            subject_id=str(child_case.pk),
            kind="sensitive",
            reason="x",
        )


PAGES = [
    ("audit:alert_list", (), ("get",)),
    ("audit:alert_detail", ("alert",), ("get", "post")),
    ("audit:alert_report", (), ("get",)),
    ("audit:rule_list", (), ("get", "post")),
]


def test_non_auditors_get_404_on_every_misuse_page(client, personas):
    alert = bulk_alert(personas.analyst)
    values = {"alert": alert.pk}
    for persona, user in personas.all().items():
        if persona == "auditor":
            continue
        client.force_login(user)
        for name, args, methods in PAGES:
            url = reverse(name, args=[values[a] for a in args])
            for method in methods:
                response = getattr(client, method)(url)
                assert response.status_code == 404, f"{persona} {name} {response.status_code}"
                assert b"exported" not in response.content
        marker_page = client.get(reverse("audit:marker_list")).status_code
        assert marker_page == (200 if persona == "supervisor" else 404), persona
    assert (
        AccessEvent.objects.filter(action=AccessAction.REFUSED, reason="role may not use this area").count() >= 12 * 6
    )
