"""The meetings' agendas build themselves from the cases due, for one authority, scoped to what
the user may read; the panel pack carries only what partners may read, watermarked, recorded."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from pypdf import PdfReader

from portal.audit.models import AccessAction, AccessEvent
from safeguarding.meetings import (
    contextual_meeting_agenda,
    disruption_panel_list,
    panel_pack_pdf,
    pdf_text,
)
from safeguarding.models import CaseKind
from safeguarding.pathway import case_transition
from safeguarding.services import case_create
from tests.safeguarding.test_records import (
    MEDIUM,
    NO,
    coventry_child,
    monday,  # noqa: F401 (a fixture)
    screen,
    through_panel,
    to_monitoring,
    to_panel,
)

pytestmark = pytest.mark.django_db
RECORD_ROLES = ("SUSPECT", "OFFENDER", "ARRESTED", "CHARGED")


def birmingham_child(personas, forenames: str, surname: str, **fields):
    case = case_create(
        actor=personas.analyst,
        kind=CaseKind.CHILD,
        forenames=forenames,
        surname=surname,
        date_of_birth=date(2010, 9, 9),
        local_authority=personas.agencies["birmingham"],
        **fields,
    )
    return case_transition(
        actor=personas.officer, case_id=case.pk, to="referred", data={"concern": f"{forenames} is at risk."}
    )


def pdf_pages(document: bytes) -> list[str]:
    """Each page's text, with line breaks and runs of spaces as single spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(document)).pages]


def _ids(items) -> list[int]:
    return [item.case.pk for item in items]


# --- the contextual safeguarding meeting --------------------------------------------------------


def test_the_agenda_is_the_authoritys_cases_awaiting_the_meeting(personas, child_case):
    screen(personas, child_case, NO)
    waiting = birmingham_child(personas, "Kai", "Dunmore")  # still at the MASH: not on the agenda
    coventry = coventry_child(personas)
    screen(personas, coventry, NO, actor=personas.mash_coventry)
    birmingham = personas.agencies["birmingham"]
    items = contextual_meeting_agenda(user=personas.mash_birmingham, local_authority=birmingham, day=date.today())
    assert _ids(items) == [child_case.pk]
    assert waiting.pk not in _ids(items) and coventry.pk not in _ids(items)
    event = AccessEvent.objects.filter(action=AccessAction.LIST).latest("id")
    assert event.actor == personas.mash_birmingham and event.result_count == 1
    assert event.detail["ids"] == [str(child_case.pk)] and event.detail["local_authority"] == "birmingham"


def test_a_coventry_user_never_sees_birminghams_cases(client, personas, child_case):
    screen(personas, child_case, NO)
    coventry = coventry_child(personas)
    screen(personas, coventry, NO, actor=personas.mash_coventry)
    with pytest.raises(Http404):
        contextual_meeting_agenda(
            user=personas.mash_coventry, local_authority=personas.agencies["birmingham"], day=date.today()
        )
    client.force_login(personas.mash_coventry)
    page = client.get(reverse("safeguarding:meeting_contextual")).content.decode()
    assert coventry.reference in page and child_case.reference not in page and "Harbottle" not in page
    for url in (
        reverse("safeguarding:meeting_contextual") + "?authority=birmingham",
        reverse("safeguarding:meeting_panel") + "?authority=birmingham",
        reverse("safeguarding:meeting_panel_pack") + "?authority=birmingham",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Harbottle" not in response.content.decode() and child_case.reference not in response.content.decode()
    refusal = AccessEvent.objects.filter(action=AccessAction.REFUSED).latest("id")
    assert refusal.actor == personas.mash_coventry


def test_the_agenda_shows_only_what_the_user_may_read(personas, child_case):
    """Health reads the child's case only: their agenda for Birmingham has it and nothing else."""
    screen(personas, child_case, NO)
    other = birmingham_child(personas, "Kai", "Dunmore")
    screen(personas, other, NO)
    birmingham = personas.agencies["birmingham"]
    everyone = contextual_meeting_agenda(user=personas.mash_birmingham, local_authority=birmingham, day=date.today())
    health = contextual_meeting_agenda(user=personas.partner_health, local_authority=birmingham, day=date.today())
    assert set(_ids(everyone)) == {child_case.pk, other.pk}
    assert _ids(health) == [child_case.pk]


def test_the_agenda_is_ordered_by_when_each_case_is_due(monday, personas, child_case):  # noqa: F811
    later = birmingham_child(personas, "Kai", "Dunmore")
    screen(personas, later, NO)  # entered the meeting's state on Monday: due Tuesday
    monday.shift(timedelta(days=1))
    screen(personas, child_case, NO)  # on Tuesday: due Wednesday
    items = contextual_meeting_agenda(
        user=personas.mash_birmingham, local_authority=personas.agencies["birmingham"], day=date(2027, 3, 2)
    )
    assert _ids(items) == [later.pk, child_case.pk]
    assert [item.due_at.date() if item.due_at is not None else None for item in items] == [
        date(2027, 3, 2),
        date(2027, 3, 3),
    ]


def test_monitoring_cases_join_the_agenda_when_their_review_is_due(monday, personas, child_case):  # noqa: F811
    to_monitoring(personas, child_case)  # review due 20 working days on: Wednesday 31 March
    birmingham = personas.agencies["birmingham"]
    user = personas.mash_birmingham
    assert contextual_meeting_agenda(user=user, local_authority=birmingham, day=date(2027, 3, 30)) == []
    due = contextual_meeting_agenda(user=user, local_authority=birmingham, day=date(2027, 3, 31))
    assert _ids(due) == [child_case.pk] and due[0].reason == "Monitoring review due"
    # Still due, and shown, at the meetings after until it is done.
    assert _ids(contextual_meeting_agenda(user=user, local_authority=birmingham, day=date(2027, 4, 1))) == [
        child_case.pk
    ]


def test_police_choose_the_authority(client, personas, child_case):
    screen(personas, child_case, NO)
    coventry = coventry_child(personas)
    screen(personas, coventry, NO, actor=personas.mash_coventry)
    client.force_login(personas.supervisor)
    url = reverse("safeguarding:meeting_contextual")
    before = AccessEvent.objects.filter(action=AccessAction.LIST).count()
    chooser = client.get(url)
    assert chooser.status_code == 200 and b"Choose a local authority" in chooser.content
    assert AccessEvent.objects.filter(action=AccessAction.LIST).count() == before  # nothing shown
    body = client.get(url, {"authority": "coventry"}).content.decode()
    assert coventry.reference in body and child_case.reference not in body
    body = client.get(url, {"authority": "birmingham"}).content.decode()
    assert child_case.reference in body and coventry.reference not in body
    assert client.get(url, {"authority": "atlantis"}).status_code == 404
    assert client.get(url, {"authority": "birmingham", "day": "31/02/2027"}).status_code == 400


def test_roles_outside_casework_have_no_meetings(client, personas):
    for persona in ("auditor", "spoc", "provider_spoc", "administrator"):
        client.force_login(getattr(personas, persona))
        for name in (
            "safeguarding:meeting_contextual",
            "safeguarding:meeting_panel",
            "safeguarding:meeting_panel_pack",
        ):
            assert client.get(reverse(name)).status_code == 404, (persona, name)


# --- the disruption panel -----------------------------------------------------------------------


def test_the_panel_lists_referred_cases_and_tactics_due_for_review(monday, personas, child_case):  # noqa: F811
    referred = birmingham_child(personas, "Kai", "Dunmore")
    to_panel(personas, referred)  # at the panel: due in 5 working days (Monday 8 March)
    through_panel(personas, child_case, review_on=date(2027, 3, 5))  # in monitoring, a tactic due Friday
    not_yet = birmingham_child(personas, "Mo", "Farrant")
    through_panel(personas, not_yet, review_on=date(2027, 4, 30))
    coventry = coventry_child(personas)
    screen(personas, coventry, MEDIUM, actor=personas.mash_coventry)
    birmingham = personas.agencies["birmingham"]

    items = disruption_panel_list(user=personas.panel_member, local_authority=birmingham, day=date(2027, 3, 5))
    assert _ids(items) == [child_case.pk, referred.pk]  # due Friday, then Monday
    assert [tactic.kind.code for tactic in items[0].tactics_due] == ["child-abduction-warning-notice"]
    assert items[1].reason == "Referred to the disruption panel"
    event = AccessEvent.objects.filter(action=AccessAction.LIST).latest("id")
    assert (
        event.detail["ids"] == [str(child_case.pk), str(referred.pk)] and event.detail["meeting"] == "disruption_panel"
    )

    earlier = disruption_panel_list(user=personas.panel_member, local_authority=birmingham, day=date(2027, 3, 4))
    assert _ids(earlier) == [referred.pk]


def test_the_panel_page_lists_and_links_the_pack(client, personas, child_case):
    to_panel(personas, child_case)
    client.force_login(personas.panel_member)
    page = client.get(reverse("safeguarding:meeting_panel"))
    body = page.content.decode()
    assert page.status_code == 200 and child_case.reference in body
    assert reverse("safeguarding:meeting_panel_pack") + "?authority=birmingham&amp;day=" in body


# --- the panel pack -----------------------------------------------------------------------------


@pytest.fixture
def panel_day(monday, personas, child_case):  # noqa: F811
    """Friday 5 March 2027: the child in monitoring with tactics due, another child referred."""
    through_panel(personas, child_case, review_on=date(2027, 3, 5))
    referred = birmingham_child(personas, "Kai", "Dunmore", summary="Missing three nights; found in Stoke.")
    to_panel(personas, referred)
    monday.move_to("2027-03-05 09:30")
    return {"monitoring": child_case, "referred": referred}


def test_the_pack_is_watermarked_and_recorded_as_an_export(personas, panel_day):
    user = personas.panel_member
    document = panel_pack_pdf(user=user, local_authority=personas.agencies["birmingham"], day=date(2027, 3, 5))
    assert document.startswith(b"%PDF")
    pages = pdf_pages(document)
    assert len(pages) == 3  # the list, then one page per child
    for text in pages:
        assert "OFFICIAL-SENSITIVE" in text and user.get_username() in text and "05 Mar 2027 09:30" in text
    whole = "\n".join(pages)
    for case in panel_day.values():
        assert case.reference in whole
    assert "child at risk of criminal exploitation by a county line" in whole
    assert "Seen running for a deal line." in whole and "Missing three nights; found in Stoke." in whole
    assert whole.count("Score 5 of") == 2 and "practitioner chose medium" in whole
    assert "Child abduction warning notice" in whole and "West Midlands Police" in whole and "05 Mar 2027" in whole
    assert "Youth worker or peer mentor" in whole and "02 Apr 2027" in whole
    assert "Mentor to meet Reece weekly" not in whole  # a tactic's notes stay in the portal
    for role in RECORD_ROLES:
        assert role not in whole.upper()

    export = AccessEvent.objects.filter(action=AccessAction.EXPORT).get()
    assert export.actor == user and export.result_count == 2
    assert export.detail["ids"] == [str(panel_day["monitoring"].pk), str(panel_day["referred"].pk)]


def test_the_pack_downloads_as_an_attachment(client, personas, panel_day):
    client.force_login(personas.mash_manager)
    response = client.get(reverse("safeguarding:meeting_panel_pack"), {"day": "2027-03-05"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="disruption-panel-birmingham-2027-03-05.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert panel_day["referred"].reference in "".join(pdf_pages(response.content))
    export = AccessEvent.objects.filter(action=AccessAction.EXPORT).get()
    assert export.actor == personas.mash_manager and export.ip_address and export.path.startswith("/meetings/")


def test_someone_who_must_choose_is_sent_to_choose(client, personas, panel_day):
    client.force_login(personas.supervisor)
    response = client.get(reverse("safeguarding:meeting_panel_pack"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("safeguarding:meeting_panel"))
    assert not AccessEvent.objects.filter(action=AccessAction.EXPORT).exists()


def test_the_pack_holds_no_police_intelligence(personas, completed_run):
    """A child found by the network analysis, whose police records name people as suspects: the
    pack carries the officer's concern, never the records or their roles."""
    from safeguarding.models import Case

    case = Case.objects.get(nominal_id="N-TEST-1")
    case_transition(
        actor=personas.officer, case_id=case.pk, to="referred", data={"concern": "Reece runs for a county line."}
    )
    to_panel(personas, case)
    document = panel_pack_pdf(
        user=personas.mash_birmingham, local_authority=personas.agencies["birmingham"], day=date.today()
    )
    whole = "\n".join(pdf_pages(document))
    assert case.reference in whole and "Reece runs for a county line." in whole
    for intelligence in ("N-TEST-1", "R-TEST-1", "deal line phone", "Vance", "Dexter", "cuckooed", *RECORD_ROLES):
        assert intelligence.upper() not in whole.upper(), intelligence


def test_the_pack_prints_any_name(personas):
    case = birmingham_child(
        personas, "Łukasz", "Nowak-Żółć", summary="Said: “I owe them” – twice.\tTabs\r\nand 🙂 and \x07 bells."
    )
    to_panel(personas, case)
    document = panel_pack_pdf(
        user=personas.mash_birmingham, local_authority=personas.agencies["birmingham"], day=date.today()
    )
    whole = "\n".join(pdf_pages(document))
    assert "Lukasz Nowak-Zólc" in whole and "“I owe them” – twice." in whole


def test_pdf_text_keeps_what_the_fonts_print():
    assert pdf_text("Zoë “Ann” – ok") == "Zoë “Ann” – ok"
    assert pdf_text("Ąga Łódź 😀 Αθήνα\x07") == "Aga Lódz ? ?????"


def test_an_adult_who_withdrew_consent_leaves_the_authoritys_pack(personas):
    """The police still hold the case, but the panel is the authority's, with partners present:
    once consent is withdrawn (and the authority's access with it) the adult is not in the pack."""
    from safeguarding.services import case_record_consent, case_withdraw_consent

    adult = case_create(
        actor=personas.analyst,
        kind=CaseKind.VULNERABLE_ADULT,
        forenames="Lena",
        surname="Okafor",
        local_authority=personas.agencies["birmingham"],
    )
    case_record_consent(
        actor=personas.supervisor,
        case=adult,
        given_by="person",
        given_by_name="Lena Okafor",
        method="written",
        given_on=date.today(),
        agencies=[personas.agencies["birmingham"]],
        scope="Her safety plan, with the council",
    )
    case_transition(actor=personas.officer, case_id=adult.pk, to="referred", data={"concern": "Lena is at risk."})
    to_panel(personas, adult)
    birmingham = personas.agencies["birmingham"]

    def pack() -> str:
        return " ".join(
            pdf_pages(panel_pack_pdf(user=personas.supervisor, local_authority=birmingham, day=date.today()))
        )

    assert adult.reference in pack()
    case_withdraw_consent(actor=personas.supervisor, case=adult, note="Withdrawn by phone")
    assert adult.reference not in pack()
    assert disruption_panel_list(user=personas.supervisor, local_authority=birmingham, day=date.today()) == []
