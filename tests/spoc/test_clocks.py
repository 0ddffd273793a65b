"""The service-level clocks and the urgent authorisation's lapse, with time frozen (time-machine):
when each acknowledgement and fulfilment is due, in hours or in England's working days (weekends
and bank holidays skipped), when a request is overdue, who is reminded, and the lapse after 3
days unless the OCDA confirms."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from safeguarding.models import Notification
from spoc.models import CommsRequest, CommsRequestTransition, RequestState, ServiceLevel
from spoc.reminders import reminders_send
from spoc.services import urgent_authorisation_confirm
from spoc.transitions import request_transition
from tests.spoc.conftest import at_state

pytestmark = pytest.mark.django_db
S = RequestState
LONDON = ZoneInfo("Europe/London")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def send_at(people, moment: datetime, **extra) -> CommsRequest:
    """A request authorised before `moment` and sent at `moment` by the SPoC."""
    req = at_state(people, S.AUTHORISED, **extra)
    with time_machine.travel(moment, tick=False):
        return request_transition(actor=people.spoc, request_id=req.pk, to=S.SENT)


def test_threat_to_life_is_acknowledged_within_an_hour(people):
    req = send_at(people, at(2026, 6, 3, 10, 0), category="threat_to_life", urgency="immediate")
    assert req.acknowledge_due_at == at(2026, 6, 3, 11, 0)
    assert (req.due_step, req.due_at) == ("acknowledge", at(2026, 6, 3, 11, 0))
    with time_machine.travel(at(2026, 6, 3, 10, 59), tick=False):
        assert not CommsRequest.objects.get(pk=req.pk).overdue
        assert reminders_send()["overdue"] == 0
    with time_machine.travel(at(2026, 6, 3, 11, 1), tick=False):
        assert CommsRequest.objects.get(pk=req.pk).overdue
        counts = reminders_send()
        assert counts["overdue"] == 1
        told = set(Notification.objects.filter(kind="spoc_overdue").values_list("recipient__username", flat=True))
        assert told == {"spoc", "provider.spoc"}  # the police SPoC and the addressed company's, not Eastgate's
        assert reminders_send()["notifications"] == 0  # once a day per request and step


def test_fulfilment_clock_starts_at_acknowledgement_in_hours(people):
    req = send_at(people, at(2026, 6, 3, 10, 0), category="threat_to_life", urgency="immediate")
    with time_machine.travel(at(2026, 6, 3, 10, 20), tick=False):
        req = request_transition(actor=people.provider_spoc, request_id=req.pk, to=S.ACKNOWLEDGED)
    assert req.fulfil_due_at == at(2026, 6, 3, 14, 20)  # 4 hours
    assert (req.due_step, req.due_at) == ("fulfil", at(2026, 6, 3, 14, 20))


def test_child_exploitation_gets_one_working_day_over_a_weekend(people):
    # Sent on Friday afternoon: due by the end of Monday, not Saturday.
    req = send_at(people, at(2026, 6, 5, 15, 0), category="child_criminal_exploitation")
    assert req.acknowledge_due_at == at(2026, 6, 8, 23, 59, 59)
    sexual = send_at(people, at(2026, 6, 5, 15, 0), category="child_sexual_exploitation")
    assert sexual.acknowledge_due_at == req.acknowledge_due_at  # the same service level by default


def test_a_bank_holiday_is_not_a_working_day(people):
    # Friday 28 August 2026; Monday 31 August is the summer bank holiday in England.
    req = send_at(people, at(2026, 8, 28, 12, 0), category="child_criminal_exploitation")
    assert req.acknowledge_due_at == at(2026, 9, 1, 23, 59, 59)


def test_other_serious_crime_gets_five_working_days(people):
    req = send_at(people, at(2026, 6, 3, 9, 0), category="other_serious_crime")
    assert req.acknowledge_due_at == at(2026, 6, 10, 23, 59, 59)


def test_a_providers_own_service_level_wins_over_the_default(people):
    ServiceLevel.objects.create(
        provider=people.eastgate,
        category="child_criminal_exploitation",
        acknowledge_amount=2,
        acknowledge_unit="hours",
        fulfil_amount=1,
        fulfil_unit="working_days",
    )
    eastgate = send_at(people, at(2026, 6, 3, 9, 0), provider="provider-eastgate")
    northmoor = send_at(people, at(2026, 6, 3, 9, 0))
    assert eastgate.acknowledge_due_at == at(2026, 6, 3, 11, 0)
    assert northmoor.acknowledge_due_at == at(2026, 6, 4, 23, 59, 59)


def test_the_clock_stops_while_the_spoc_answers_a_question(people):
    req = send_at(people, at(2026, 6, 3, 9, 0))
    with time_machine.travel(at(2026, 6, 3, 10, 0), tick=False):
        req = request_transition(
            actor=people.provider_spoc, request_id=req.pk, to=S.CLARIFICATION_REQUESTED, data={"question": "SIM?"}
        )
    assert (req.due_step, req.due_at) == ("", None)
    with time_machine.travel(at(2026, 6, 4, 10, 0), tick=False):
        req = request_transition(actor=people.spoc, request_id=req.pk, to=S.SENT, data={"answer": "The first."})
    assert req.sent_at == at(2026, 6, 3, 9, 0)  # the first sending starts the clock
    assert (req.due_step, req.due_at) == ("acknowledge", at(2026, 6, 4, 23, 59, 59))


def urgent_at(people, moment: datetime) -> CommsRequest:
    req = at_state(people, S.AWAITING_AUTHORISATION, category="threat_to_life", urgency="immediate")
    with time_machine.travel(moment, tick=False):
        return request_transition(actor=people.dso, request_id=req.pk, to=S.AUTHORISED, data={"reasons": "Life."})


def test_urgent_authorisation_lapses_after_three_days_unless_confirmed(people):
    req = urgent_at(people, at(2026, 6, 1, 12, 0))
    assert req.urgent_lapses_at == at(2026, 6, 4, 12, 0)
    with time_machine.travel(at(2026, 6, 3, 11, 0), tick=False):  # 25 hours before: nothing yet
        assert reminders_send()["lapsing"] == 0
    with time_machine.travel(at(2026, 6, 3, 13, 0), tick=False):  # within a day: warned
        assert reminders_send()["lapsing"] == 1
        warned = set(Notification.objects.filter(kind="spoc_lapsing").values_list("recipient__username", flat=True))
        assert warned == {"spoc", "dso"}
    with time_machine.travel(at(2026, 6, 4, 11, 59, 59), tick=False):
        reminders_send()
        assert CommsRequest.objects.get(pk=req.pk).state == S.AUTHORISED
    with time_machine.travel(at(2026, 6, 4, 12, 0), tick=False):
        assert reminders_send()["lapsed"] == 1
    lapsed = CommsRequest.objects.get(pk=req.pk)
    assert lapsed.state == S.EXPIRED
    step = CommsRequestTransition.objects.filter(request=lapsed).latest("id")
    assert (step.from_state, step.to_state, step.actor, step.actor_label) == (S.AUTHORISED, S.EXPIRED, None, "portal")
    with time_machine.travel(at(2026, 6, 4, 13, 0), tick=False):
        assert reminders_send()["lapsed"] == 0  # once


def test_a_confirmed_urgent_authorisation_does_not_lapse(people):
    req = urgent_at(people, at(2026, 6, 1, 12, 0))
    with time_machine.travel(at(2026, 6, 2, 9, 0), tick=False):
        urgent_authorisation_confirm(
            actor=people.spoc, request_id=req.pk, reference="OCDA-77", decided_on=date(2026, 6, 2)
        )
    with time_machine.travel(at(2026, 6, 5, 12, 0), tick=False):
        assert reminders_send()["lapsed"] == 0
    assert CommsRequest.objects.get(pk=req.pk).state == S.AUTHORISED


def test_only_a_spoc_confirms_an_urgent_authorisation(people):
    from django.core.exceptions import PermissionDenied

    req = urgent_at(people, at(2026, 6, 1, 12, 0))
    with pytest.raises(PermissionDenied):
        urgent_authorisation_confirm(actor=people.dso, request_id=req.pk, reference="X", decided_on=date(2026, 6, 1))
    assert CommsRequest.objects.get(pk=req.pk).urgent_confirmed_at is None


def test_the_beat_task_runs_the_reminders(people):
    from spoc.tasks import send_spoc_reminders

    req = send_at(people, at(2026, 6, 3, 10, 0), category="threat_to_life", urgency="immediate")
    with time_machine.travel(at(2026, 6, 3, 12, 0), tick=False):
        assert send_spoc_reminders.delay().get()["overdue"] == 1
    assert Notification.objects.filter(kind="spoc_overdue", message__startswith=req.reference).exists()
