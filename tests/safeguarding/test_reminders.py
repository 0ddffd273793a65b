"""Reminders and escalations of the pathway's deadlines (safeguarding.reminders): who is told,
once, by notification and e-mail, with nothing personal in the e-mail; and, with the real
services, the beat task on a real Celery worker and two runs at once on PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.access import Access
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.services import user_create
from portal.audit.chain import chain_pending
from portal.audit.models import AccessAction, AccessEvent
from safeguarding import reminders
from safeguarding.models import Case, CaseKind, Notification
from safeguarding.pathway import case_transition
from safeguarding.reminders import reminders_send
from safeguarding.services import case_create, case_unshare
from safeguarding.tasks import send_pathway_reminders
from tests.safeguarding.pathway_helpers import case_at

LONDON = ZoneInfo("Europe/London")
CONCERN = "Seen with the Dexter line's phone at Digbeth coach station; dealer nominal N-TEST-2."
THURSDAY = datetime(2026, 6, 4, 10, tzinfo=LONDON)  # referred: the MASH decision is due on Friday
FRIDAY_DEADLINE = datetime(2026, 6, 5, 23, 59, 59, tzinfo=LONDON)
MONDAY_9AM = datetime(2026, 6, 8, 9, tzinfo=LONDON)
ESCALATION_DEADLINE = datetime(2026, 6, 8, 23, 59, 59, tzinfo=LONDON)  # a working day after Friday


@pytest.fixture
def mailboxes(personas):
    """Everyone has an e-mail address (the personas are made without one); accounts are plain
    objects here, not case state."""
    for user in User.objects.all():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@portal.invalid")
    for user in personas.all().values():
        user.refresh_from_db()
    return personas


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """reminders_send at `now`, with the e-mails it sends once its transaction commits."""

    def run_at(now: datetime) -> dict:
        with time_machine.travel(now, tick=False), django_capture_on_commit_callbacks(execute=True):
            return reminders_send(now=now)

    return run_at


def open_case(personas, *, at: datetime, authority: str | None = "birmingham", surname: str = "Harbottle") -> Case:
    with time_machine.travel(at, tick=False):
        return case_create(
            actor=personas.analyst,
            kind=CaseKind.CHILD,
            forenames="Reece",
            surname=surname,
            date_of_birth=date(2010, 5, 1),
            local_authority=personas.agencies[authority] if authority else None,
            summary="Seen running for a deal line.",
        )


def refer(personas, *, at: datetime = THURSDAY, authority: str = "birmingham", surname: str = "Harbottle") -> Case:
    case = open_case(personas, at=at, authority=authority, surname=surname)
    with time_machine.travel(at, tick=False):
        return case_transition(actor=personas.supervisor, case_id=case.pk, to="referred", data={"concern": CONCERN})


def notified(case: Case, kind: str = "reminder") -> list[str]:
    return sorted(Notification.objects.filter(case=case, kind=kind).values_list("recipient__username", flat=True))


def outbox_for(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


# --- who is told, and when --------------------------------------------------------------------


@pytest.mark.django_db
def test_nothing_is_sent_before_the_day_a_step_is_due(mailboxes, run):
    refer(mailboxes, at=datetime(2026, 6, 5, 10, tzinfo=LONDON))  # Friday: due Monday
    for moment in (datetime(2026, 6, 5, 18, tzinfo=LONDON), datetime(2026, 6, 7, 23, 59, 59, tzinfo=LONDON)):
        assert run(moment)["due"] == 0
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_mash_step_due_today_reminds_the_authoritys_mash_practitioners_and_managers(mailboxes, run):
    case = refer(mailboxes, at=datetime(2026, 6, 5, 10, tzinfo=LONDON))
    result = run(datetime(2026, 6, 8, 0, 0, tzinfo=LONDON))  # Monday, first thing
    assert result == {"due": 1, "notifications": 2, "emails": 2, "escalated": 0, "unrouted": 0}
    assert notified(case) == ["mash.birmingham", "mashmanager.birmingham"]
    for message in Notification.objects.filter(case=case).values_list("message", flat=True):
        assert "due today" in message
    assert sorted(message.to[0] for message in mail.outbox) == [
        "mash.birmingham@portal.invalid",
        "mashmanager.birmingham@portal.invalid",
    ]


@pytest.mark.django_db
def test_a_reminder_is_sent_once_however_often_the_task_runs(mailboxes, run):
    case = refer(mailboxes)
    for minutes in (0, 0, 15, 30, 45):
        run(MONDAY_9AM + timedelta(minutes=minutes))
    for user in (mailboxes.mash_birmingham, mailboxes.mash_manager):
        assert Notification.objects.filter(recipient=user, case=case, kind="reminder").count() == 1
        assert len(outbox_for(user)) == 1
    assert len(mail.outbox) == 2
    # A new day, still overdue: one more reminder each.
    run(datetime(2026, 6, 9, 9, tzinfo=LONDON))
    assert Notification.objects.filter(recipient=mailboxes.mash_birmingham, case=case, kind="reminder").count() == 2


@pytest.mark.django_db
def test_the_reminder_says_due_today_up_to_the_deadline_and_overdue_the_second_after(mailboxes, run):
    case = refer(mailboxes)
    run(FRIDAY_DEADLINE)
    run(FRIDAY_DEADLINE + timedelta(seconds=1))
    messages = list(
        Notification.objects.filter(case=case, recipient=mailboxes.mash_birmingham)
        .order_by("created_at")
        .values_list("message", flat=True)
    )
    assert len(messages) == 2
    assert "due today" in messages[0]
    assert "overdue" in messages[1]


@pytest.mark.django_db
def test_the_email_carries_the_reference_step_time_and_link_but_no_name_and_no_intelligence(mailboxes, run):
    case = refer(mailboxes)
    run(MONDAY_9AM)
    (message,) = outbox_for(mailboxes.mash_birmingham)
    text = f"{message.subject}\n{message.body}"
    assert case.reference in text
    assert "MASH decision" in text
    assert "23:59 on Fri 5 Jun 2026" in text
    assert f"/cases/{case.pk}/" in text
    for secret in ("Reece", "Harbottle", "Digbeth", "Dexter", "N-TEST-2", "deal line", "2010"):
        assert secret not in text
    # Nor in the portal's own notification, which lists and previews show.
    for note in Notification.objects.filter(case=case).values_list("message", flat=True):
        assert "Reece" not in note and "Harbottle" not in note


@pytest.mark.django_db
def test_a_police_review_reminds_the_officers_of_the_cases_hub(mailboxes, run):
    case = open_case(mailboxes, at=THURSDAY)
    run(MONDAY_9AM)
    assert notified(case) == ["officer.birmingham"]


@pytest.mark.django_db
def test_a_triage_case_reminds_every_police_reviewer(mailboxes, run):
    case = open_case(mailboxes, at=THURSDAY, authority=None)
    assert case.hub_id is None
    run(MONDAY_9AM)
    assert notified(case) == ["officer.birmingham", "supervisor"]


@pytest.mark.django_db
def test_a_disruption_panel_step_reminds_the_authoritys_panel_members(mailboxes, run):
    with time_machine.travel(THURSDAY, tick=False):
        case = case_at(mailboxes, "disruption_panel")
    assert case.next_due_step == "disruption panel" and case.next_due_at is not None
    run(case.next_due_at - timedelta(hours=1))
    assert notified(case) == ["panel"]


@pytest.mark.django_db
def test_the_case_worker_alone_is_reminded_when_there_is_one(mailboxes, run):
    case = refer(mailboxes)
    # No service assigns a case worker yet.
    Case.objects.filter(pk=case.pk).update(case_worker=mailboxes.mash_birmingham)
    run(MONDAY_9AM)
    assert notified(case) == ["mash.birmingham"]


@pytest.mark.django_db
def test_coventry_hears_nothing_of_a_birmingham_case(mailboxes, run):
    coventry_manager = user_create(
        username="mashmanager.coventry",
        password="x",
        email="mashmanager.coventry@portal.invalid",
        agency=mailboxes.agencies["coventry"],
        role=Role.MASH_MANAGER,
        validate=False,
    )
    birmingham = refer(mailboxes)
    coventry = refer(mailboxes, authority="coventry", surname="Okafor")
    run(datetime(2026, 6, 9, 9, tzinfo=LONDON))  # overdue and escalated
    for user in (mailboxes.mash_coventry, coventry_manager):
        assert not Notification.objects.filter(recipient=user, case=birmingham).exists()
        assert Notification.objects.filter(recipient=user, case=coventry).exists()
        (message,) = outbox_for(user)
        assert birmingham.reference not in message.body
        assert coventry.reference in message.body
    assert notified(birmingham, "escalation") == ["mashmanager.birmingham"]
    assert notified(coventry, "escalation") == ["mashmanager.coventry"]


@pytest.mark.django_db
def test_an_agency_that_lost_access_is_no_longer_told(mailboxes, run):
    case = refer(mailboxes)
    case_unshare(actor=mailboxes.supervisor, case=case, agency=mailboxes.agencies["birmingham"], level=Access.READ)
    result = run(MONDAY_9AM)
    assert result["unrouted"] == 1
    assert not Notification.objects.filter(case=case).exists()
    assert mail.outbox == []


# --- escalation ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_step_is_escalated_exactly_one_working_day_late(mailboxes, run):
    case = refer(mailboxes)  # due Friday; escalated once Monday, the next working day, has passed
    for moment in (
        FRIDAY_DEADLINE + timedelta(seconds=1),
        datetime(2026, 6, 6, 12, tzinfo=LONDON),  # Saturday does not count
        ESCALATION_DEADLINE,
    ):
        assert run(moment)["escalated"] == 0, moment
    assert Case.objects.get(pk=case.pk).escalated_at is None
    assert notified(case, "escalation") == []

    moment = ESCALATION_DEADLINE + timedelta(seconds=1)
    assert run(moment)["escalated"] == 1
    assert Case.objects.get(pk=case.pk).escalated_at == moment
    assert notified(case, "escalation") == ["mashmanager.birmingham"]
    (event,) = AccessEvent.objects.filter(action=AccessAction.UPDATE, object_id=str(case.pk))
    assert event.reason.startswith("escalated:")
    assert case.reference in event.reason
    assert event.via == "task"
    escalations = [m for m in outbox_for(mailboxes.mash_manager) if "Escalated to you" in m.body]
    assert len(escalations) == 1

    # Later runs neither escalate again nor move the time it happened.
    assert run(moment + timedelta(minutes=15))["escalated"] == 0
    assert Case.objects.get(pk=case.pk).escalated_at == moment
    assert notified(case, "escalation") == ["mashmanager.birmingham"]
    assert AccessEvent.objects.filter(action=AccessAction.UPDATE, object_id=str(case.pk)).count() == 1


@pytest.mark.django_db
def test_a_late_police_review_goes_to_the_intelligence_supervisors(mailboxes, run):
    case = open_case(mailboxes, at=THURSDAY)
    run(ESCALATION_DEADLINE + timedelta(seconds=1))
    assert notified(case, "escalation") == ["supervisor"]
    assert notified(case) == ["officer.birmingham"]


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_cases(mailboxes, run):
    refer(mailboxes, surname="One")
    # The trail's chain already has a head, as it has after the first minutes in production (an
    # empty chain looks for an archived head once: a constant, not a query per case).
    chain_pending()
    with CaptureQueriesContext(connection) as one:
        first = run(datetime(2026, 6, 9, 0, 5, tzinfo=LONDON))
    for number in range(4):
        refer(mailboxes, surname=f"Many{number}")
        refer(mailboxes, authority="coventry", surname=f"Coventry{number}")
    open_case(mailboxes, at=THURSDAY, authority=None, surname="Triage")
    with CaptureQueriesContext(connection) as many:
        second = run(datetime(2026, 6, 9, 0, 10, tzinfo=LONDON))
    assert (first["escalated"], second["escalated"]) == (1, 9)
    assert len(many.captured_queries) == len(one.captured_queries)


# --- the real services ----------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_reminder_task_runs_on_the_real_worker(celery_worker_process, mailboxes):
    """The worker is another process on the same database. portal.settings.test gives it the
    file mail backend (EMAIL_FILE_PATH, var/mail): the test process's locmem outbox never sees
    its e-mails, so this reads the notifications it committed and the counts it returned."""
    case = refer(mailboxes, at=timezone.now() - timedelta(days=14))
    result = send_pathway_reminders.delay().get(timeout=60)
    assert result == {"due": 1, "notifications": 3, "emails": 2, "escalated": 1, "unrouted": 0}
    assert notified(case) == ["mash.birmingham", "mashmanager.birmingham"]
    assert notified(case, "escalation") == ["mashmanager.birmingham"]
    assert Case.objects.get(pk=case.pk).escalated_at is not None
    assert not Notification.objects.filter(recipient=mailboxes.mash_coventry).exists()

    again = send_pathway_reminders.delay().get(timeout=60)
    assert (again["notifications"], again["emails"], again["escalated"]) == (0, 0, 0)
    assert Notification.objects.filter(case=case).count() == 3


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(mailboxes, monkeypatch):
    """The second run waits on the first one's row locks and then finds its notifications, so
    it sends no second e-mail either. A pause inside the first run makes them overlap."""
    case = refer(mailboxes)
    checked = reminders._readers
    started = threading.Event()

    def slow_readers(*args, **kwargs):
        started.set()
        time.sleep(0.5)
        return checked(*args, **kwargs)

    monkeypatch.setattr(reminders, "_readers", slow_readers)
    results: list[dict] = []
    errors: list[BaseException] = []

    def one_run() -> None:
        try:
            results.append(reminders_send(now=MONDAY_9AM))
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connection.close()

    first = threading.Thread(target=one_run)
    first.start()
    assert started.wait(timeout=10)
    second = threading.Thread(target=one_run)
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not errors, errors
    assert sorted(result["notifications"] for result in results) == [0, 2]
    assert notified(case) == ["mash.birmingham", "mashmanager.birmingham"]
    assert sorted(message.to[0] for message in mail.outbox) == [
        "mash.birmingham@portal.invalid",
        "mashmanager.birmingham@portal.invalid",
    ]
