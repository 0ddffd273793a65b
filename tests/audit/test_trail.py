"""The auditor's reads of the trail: what each event names, the combined search with keyset
pages, "who has seen this child", a user's activity against peers, the subject access report."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from pypdf import PdfReader

from portal.audit.models import AccessAction, AccessEvent, AccessEventSubject
from portal.audit.search import TrailFilters, search_events, subject_timeline, user_activity
from portal.audit.services import record_access
from safeguarding.models import CaseKind
from safeguarding.services import case_create

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
CASE = "safeguarding.case"
NOMINAL = "analytics.nominal"


def subjects(event) -> set[tuple[str, str]]:
    return set(AccessEventSubject.objects.filter(event=event).values_list("subject_type", "subject_id"))


def other_child(personas, surname: str = "Quill"):
    return case_create(
        actor=personas.analyst,
        kind=CaseKind.CHILD,
        forenames="Ada",
        surname=surname,
        date_of_birth=date(2011, 1, 1),
        local_authority=personas.agencies["birmingham"],
    )


# --- what an event names ------------------------------------------------------------------------


def test_a_view_names_the_record_and_the_person_it_is_about(personas, completed_run):
    from analytics.models import NominalResult

    row = NominalResult.objects.get(run=completed_run, nominal_id="N-TEST-1")
    event = record_access(action=AccessAction.VIEW, actor=personas.supervisor, obj=row)
    assert subjects(event) == {("analytics.nominalresult", f"{completed_run.pk}/N-TEST-1"), (NOMINAL, "N-TEST-1")}


def test_a_list_names_every_row_it_showed(client, personas, child_case):
    second = other_child(personas)
    client.force_login(personas.analyst)  # the police see both; Birmingham only the referred one
    client.get(reverse("safeguarding:case_list"))
    event = AccessEvent.objects.filter(action=AccessAction.LIST, object_type=CASE).latest("id")
    assert {(CASE, str(child_case.pk)), (CASE, str(second.pk))} <= subjects(event)


def test_a_long_list_names_every_row_once_in_the_same_transaction_as_its_event(personas):
    # Above COPY_SUBJECTS_FROM rows PostgreSQL writes them with COPY; SQLite with INSERTs.
    from portal.audit.services import COPY_SUBJECTS_FROM

    ids = [f"N-{number}" for number in range(COPY_SUBJECTS_FROM + 100)]
    shown = [(NOMINAL, pk) for pk in ids] + [(NOMINAL, ids[0])]  # a repeat is named once
    event = record_access(action=AccessAction.LIST, actor=personas.analyst, object_type=NOMINAL, shown=shown)
    assert subjects(event) == {(NOMINAL, pk) for pk in ids}
    assert AccessEventSubject.objects.filter(event=event).count() == len(ids)
    assert subject_timeline(NOMINAL, ids[-1]).events == [event]


def test_a_nominal_search_names_the_people_it_returned(client, personas, nominal):
    client.force_login(personas.analyst)
    client.get(reverse("analytics:nominal_list"), {"q": "Harbottle"})
    event = AccessEvent.objects.filter(action=AccessAction.SEARCH).latest("id")
    assert subjects(event) == {(NOMINAL, "N-TEST-1")}


def test_a_refusal_names_the_record_asked_for_but_no_subject_was_shown(client, personas, child_case):
    client.force_login(personas.mash_coventry)
    assert client.get(reverse("safeguarding:case_detail", args=[child_case.pk])).status_code == 404
    event = AccessEvent.objects.filter(action=AccessAction.REFUSED).latest("id")
    assert (event.object_type, event.object_id) == (CASE, str(child_case.pk)) and not subjects(event)


def test_a_share_names_who_received_the_record(personas, child_case):
    event = AccessEvent.objects.filter(action=AccessAction.GRANT, object_id=str(child_case.pk)).latest("id")
    assert event.recipients == [{"agency": str(personas.agencies["health"])}]


# --- search -------------------------------------------------------------------------------------


def _events(personas, child_case):
    """A small trail at known times: who, what, from where."""
    moments = [datetime(2026, 11, 2, 9, minute, tzinfo=LONDON) for minute in range(0, 50, 5)]
    made = []
    for i, moment in enumerate(moments):
        with time_machine.travel(moment, tick=False):
            actor = personas.mash_birmingham if i % 2 == 0 else personas.partner_health
            action = AccessAction.REFUSED if i == 7 else AccessAction.VIEW
            request = RequestFactory().get("/cases/", REMOTE_ADDR=f"10.0.0.{i % 3}")
            request.user = actor
            made.append(
                record_access(
                    action=action,
                    request=request,
                    obj=child_case if action == AccessAction.VIEW else None,
                    object_type=CASE,
                    object_id=str(child_case.pk),
                    detail={"n": i},
                )
            )
            made[-1].ip_address = f"10.0.0.{i % 3}"
    return made


def test_each_filter_narrows_to_exactly_the_matching_events(personas, child_case):
    made = _events(personas, child_case)
    window = TrailFilters(since=made[0].at, until=made[-1].at)

    def ids(**filters) -> set[int]:
        fields = {**window.__dict__, **filters}
        return {e.pk for e in search_events(TrailFilters(**fields), limit=1000).events}

    assert ids(user="mash.birmingham") == {e.pk for e in made[0::2]}
    assert ids(agency=str(personas.agencies["health"])) == {e.pk for e in made[1::2]}
    assert ids(outcome="refused") == {made[7].pk}
    assert ids(outcome="allowed") == {e.pk for e in made} - {made[7].pk}
    assert ids(address="10.0.0.1") == {e.pk for i, e in enumerate(made) if i % 3 == 1}
    assert ids(user="partner.health", address="10.0.0.1") == {e.pk for i, e in enumerate(made) if i % 3 == 1 and i % 2}
    assert ids(action="view", since=made[5].at) == {e.pk for e in made[5:] if e.action == "view"}
    assert ids(subject="Reece Harbottle") == {e.pk for e in made} - {made[7].pk}  # a refusal showed nothing
    assert ids(subject=child_case.reference) == ids(subject="Harbottle") != set()
    assert ids(subject="Nobody Atall") == set()


def test_pages_follow_each_other_without_gaps_or_repeats_in_either_order(personas, child_case):
    made = _events(personas, child_case)
    for sort, expected in (("newest", [e.pk for e in reversed(made)]), ("oldest", [e.pk for e in made])):
        filters = TrailFilters(since=made[0].at, until=made[-1].at, sort=sort)
        seen, cursor = [], ""
        while True:
            page = search_events(filters, cursor=cursor, limit=3)
            seen += [e.pk for e in page.events]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert seen == expected, sort


def test_events_at_the_same_moment_are_paged_by_id(personas, child_case):
    with time_machine.travel(datetime(2026, 11, 3, 10, 0, tzinfo=LONDON), tick=False):
        made = [record_access(action=AccessAction.VIEW, actor=personas.auditor, obj=child_case) for _ in range(5)]
    filters = TrailFilters(user="auditor")
    first = search_events(filters, limit=2)
    second = search_events(filters, cursor=first.next_cursor, limit=2)
    third = search_events(filters, cursor=second.next_cursor, limit=2)
    assert [e.pk for e in first.events + second.events + third.events] == [e.pk for e in reversed(made)]
    assert not third.next_cursor


def test_a_forged_cursor_or_bad_filter_is_refused_with_a_message(client, personas):
    with pytest.raises(ValidationError, match="no longer valid"):
        search_events(TrailFilters(), cursor="not-a-cursor")
    with pytest.raises(ValidationError, match="not an IP address"):
        search_events(TrailFilters(address="999.1.1.1"))
    client.force_login(personas.auditor)
    response = client.get(reverse("audit:event_list"), {"cursor": "forged"})
    assert response.status_code == 400 and b"no longer valid" in response.content
    response = client.get(reverse("audit:event_list"), {"since": "2026-11-05T00:00", "until": "2026-11-01T00:00"})
    assert response.status_code == 400 and b"before its start" in response.content


def test_the_auditor_search_page_is_itself_recorded_with_its_filters(client, personas, child_case):
    client.force_login(personas.auditor)
    response = client.get(reverse("audit:event_list"), {"user": "mash.birmingham", "outcome": "allowed"})
    assert response.status_code == 200
    event = AccessEvent.objects.filter(actor=personas.auditor, action=AccessAction.SEARCH).latest("id")
    assert event.query == "user=mash.birmingham&outcome=allowed" and event.object_type == "audit.accessevent"


# --- who has seen this child --------------------------------------------------------------------


def test_the_timeline_shows_every_way_the_child_was_seen_in_date_order(client, personas, completed_run, child_case):
    from analytics.models import NominalResult
    from safeguarding.models import Case

    child_case = Case.objects.get(nominal_id="N-TEST-1")  # the run found the child and opened this case
    someone_else = other_child(personas)
    start = AccessEvent.objects.latest("id").pk
    steps = [
        (personas.mash_birmingham, dict(action=AccessAction.VIEW, obj=child_case)),
        (personas.mash_birmingham, dict(action=AccessAction.LIST, object_type=CASE, shown=[child_case, someone_else])),
        (personas.analyst, dict(action=AccessAction.SEARCH, object_type=NOMINAL, query="Harb", shown=[("analytics.nominal", "N-TEST-1")])),
        (personas.supervisor, dict(action=AccessAction.VIEW, obj=NominalResult.objects.get(run=completed_run, nominal_id="N-TEST-1"))),
        (personas.supervisor, dict(action=AccessAction.EXPORT, object_type=CASE, shown=[child_case], purpose="partner-request")),
        (personas.mash_coventry, dict(action=AccessAction.REFUSED, object_type=CASE, object_id=str(child_case.pk))),
        (personas.mash_birmingham, dict(action=AccessAction.VIEW, obj=someone_else)),  # another child
    ]
    made = []
    for i, (actor, kwargs) in enumerate(steps):
        with time_machine.travel(datetime(2026, 11, 10, 9, i, tzinfo=LONDON), tick=False):
            made.append(record_access(actor=actor, **kwargs))
    page = subject_timeline(CASE, str(child_case.pk))
    mine = [e.pk for e in page.events if e.pk > start]
    assert mine == [e.pk for e in made[:6]]
    assert subject_timeline(NOMINAL, "N-TEST-1").events == page.events  # the same person, either way in
    client.force_login(personas.auditor)
    response = client.get(reverse("audit:subject_detail", args=[CASE, child_case.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and "mash.coventry" in body and "partner-request" in body
    assert "Seen running for a deal line" not in body  # names, not the case's contents


def test_the_timeline_pages_oldest_first(personas, child_case):
    for minute in range(7):
        with time_machine.travel(datetime(2026, 11, 11, 9, minute, tzinfo=LONDON), tick=False):
            record_access(action=AccessAction.VIEW, actor=personas.mash_birmingham, obj=child_case)
    whole = subject_timeline(CASE, str(child_case.pk), limit=1000).events
    paged, cursor = [], ""
    while True:
        page = subject_timeline(CASE, str(child_case.pk), cursor=cursor, limit=2)
        paged += page.events
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert [e.pk for e in paged] == [e.pk for e in whole]
    assert [(e.at, e.pk) for e in whole] == sorted((e.at, e.pk) for e in whole) and len(whole) >= 7


def test_an_unknown_subject_is_404_and_recorded(client, personas):
    client.force_login(personas.auditor)
    assert client.get(reverse("audit:subject_detail", args=[CASE, "999999"])).status_code == 404
    assert AccessEvent.objects.filter(actor=personas.auditor, action=AccessAction.REFUSED, object_id="999999").exists()


# --- a user's activity --------------------------------------------------------------------------


def test_activity_counts_the_user_and_the_peers_median_by_day(personas, child_case):
    from portal.accounts.roles import Role
    from portal.accounts.services import user_create

    peer = user_create(
        username="mash.birmingham.2",
        password="x",
        agency=personas.agencies["birmingham"],
        role=Role.MASH_PRACTITIONER,
        validate=False,
    )
    day_one, day_two = datetime(2026, 11, 16, 10, tzinfo=LONDON), datetime(2026, 11, 17, 10, tzinfo=LONDON)
    plan = [(personas.mash_birmingham, day_one, 4), (personas.mash_birmingham, day_two, 1), (peer, day_one, 2)]
    for actor, moment, n in plan:
        for i in range(n):
            with time_machine.travel(moment + timedelta(minutes=i), tick=False):
                record_access(action=AccessAction.VIEW, actor=actor, obj=child_case)
    with time_machine.travel(day_two, tick=False):
        record_access(action=AccessAction.REFUSED, actor=personas.mash_birmingham, object_type=CASE, object_id="1")
    activity = user_activity(personas.mash_birmingham, start=day_one.date(), end=day_two.date())
    # mash.birmingham's peers: same role and agency (the manager and panel member are other roles).
    assert activity.peer_count == 1
    assert activity.by_day == [(day_one.date(), 4, 2.0), (day_two.date(), 2, 0.0)]
    assert (activity.total, activity.refused, activity.peer_median_total) == (6, 1, 2.0)
    assert dict(activity.by_action) == {"view": 5, "refused": 1} and activity.subjects_seen == 1


def test_the_activity_page_is_recorded_and_checks_its_period(client, personas):
    client.force_login(personas.auditor)
    url = reverse("audit:user_detail", args=[personas.analyst.pk])
    assert client.get(url, {"start": "2026-11-10", "end": "2026-11-01"}).status_code == 400
    response = client.get(url, {"start": "2026-11-01", "end": "2026-11-10"})
    assert response.status_code == 200
    event = AccessEvent.objects.filter(actor=personas.auditor, action=AccessAction.VIEW).latest("id")
    assert (event.object_type, event.object_id, event.detail["start"]) == ("accounts.user", str(personas.analyst.pk), "2026-11-01")


# --- the subject access report ------------------------------------------------------------------


def test_the_subject_access_report_is_a_watermarked_audited_pdf_of_every_access(client, personas, child_case):
    record_access(action=AccessAction.VIEW, actor=personas.partner_health, obj=child_case, reason="health visit")
    client.force_login(personas.auditor)
    url = reverse("audit:subject_report", args=[CASE, child_case.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"purpose": "subject-access", "justification": "Subject access request from the child's mother.", "recipient": "Ms Harbottle"},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "OFFICIAL-SENSITIVE" in text and "auditor" in text and "Ms Harbottle" in text
    assert "partner.health" in text and "health visit" in text
    export = AccessEvent.objects.filter(actor=personas.auditor, action=AccessAction.EXPORT).get()
    import hashlib

    assert export.detail["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert (export.purpose, export.recipients, export.object_id) == (
        "subject-access",
        [{"recipient": "Ms Harbottle"}],
        str(child_case.pk),
    )


def test_a_report_without_purpose_or_recipient_is_refused_and_nothing_is_exported(client, personas, child_case):
    client.force_login(personas.auditor)
    url = reverse("audit:subject_report", args=[CASE, child_case.pk])
    response = client.post(url, {"purpose": "subject-access", "justification": "short"})
    assert response.status_code == 400 and b"at least 10 characters" in response.content
    assert not AccessEvent.objects.filter(action=AccessAction.EXPORT).exists()
    # A reason meant for break-glass only is not a reason to disclose.
    response = client.post(url, {"purpose": "cover-colleague", "justification": "Covering a colleague.", "recipient": "X"})
    assert response.status_code == 400 and not AccessEvent.objects.filter(action=AccessAction.EXPORT).exists()
