"""What the audit services write: one alert or access event with who acted, on what, and texts
cut to their columns (PostgreSQL refuses an over-long value, and the record would be lost)."""

from __future__ import annotations

import pytest

from portal.audit.models import Alert, AlertKind
from portal.audit.services import alert_raise

pytestmark = pytest.mark.django_db


def stored(alert: Alert) -> Alert:
    return Alert.objects.get(pk=alert.pk)


def test_an_alert_names_who_acted_and_the_subject(personas):
    alert = stored(
        alert_raise(
            kind=AlertKind.ACCOUNT_CHANGE,
            message="analyst: role analyst → intelligence_supervisor",
            actor=personas.administrator,
            subject=personas.analyst,
            detail={"role": ["analyst", "intelligence_supervisor"]},
        )
    )
    assert (alert.kind, alert.message) == (AlertKind.ACCOUNT_CHANGE, "analyst: role analyst → intelligence_supervisor")
    assert (alert.actor, alert.actor_username) == (personas.administrator, "admin")
    assert (alert.subject_type, alert.subject_id) == ("accounts.user", str(personas.analyst.pk))
    assert alert.detail == {"role": ["analyst", "intelligence_supervisor"]}


def test_an_alert_raised_by_the_portal_itself_has_no_actor(personas):
    alert = stored(alert_raise(kind=AlertKind.MISUSE, message="Many refusals in a minute", subject=personas.outsider))
    assert (alert.actor, alert.actor_username) == (None, "")


def test_a_subject_named_by_hand_is_kept_as_given(personas):
    alert = stored(
        alert_raise(
            kind=AlertKind.CONSENT_OVERRIDE,
            message="Shared without consent",
            actor=personas.supervisor,
            subject=personas.analyst,
            subject_type="safeguarding.case",
            subject_id="42",
        )
    )
    assert (alert.subject_type, alert.subject_id) == ("safeguarding.case", "42")


def test_an_alerts_texts_are_cut_to_their_columns(personas):
    alert = stored(
        alert_raise(
            kind=AlertKind.MISUSE,
            message="m" * 600,
            actor=personas.supervisor,
            subject_type="t" * 80,
            subject_id="i" * 80,
        )
    )
    assert alert.message == "m" * 500
    assert (alert.subject_type, alert.subject_id) == ("t" * 64, "i" * 64)
