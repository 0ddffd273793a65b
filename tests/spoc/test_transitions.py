"""Every step of a request's lifecycle with every role that matters: the one whose step it is
(allowed), one who can see the request but not take the step (403), one who cannot see it (404,
nothing said); each refusal recorded and changing nothing. Through `request_transition`, the one
entry point of the pages and the API."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from portal.audit.models import AccessAction, AccessEvent
from spoc.models import CommsRequest, CommsRequestTransition, RequestState
from spoc.transitions import TransitionNotAllowed, request_transition
from tests.spoc.conftest import at_state

pytestmark = pytest.mark.django_db
S = RequestState
TODAY = date.today().isoformat()
OCDA = {"authorisation_reference": "OCDA-1", "reasons": "Necessary.", "decided_on": TODAY}

# from state, to state, who may (a people attribute), who sees it but may not (403), who cannot
# see it (404), the step's data, extra fields of the application.
STEPS = [
    (S.DRAFT, S.SPOC_REVIEW, "analyst", "spoc", "provider_spoc", {}, {}),
    (S.RETURNED, S.SPOC_REVIEW, "analyst", "spoc", "eastgate_spoc", {}, {}),
    (S.SPOC_REVIEW, S.RETURNED, "spoc", "analyst", "provider_spoc", {"reason": "Say why."}, {}),
    (S.SPOC_REVIEW, S.AWAITING_AUTHORISATION, "spoc", "analyst", "outsider", {"feasibility_note": "Held."}, {}),
    (S.AWAITING_AUTHORISATION, S.AUTHORISED, "spoc", "analyst", "provider_spoc", OCDA, {}),
    (S.AWAITING_AUTHORISATION, S.REFUSED, "spoc", "analyst", "mash_birmingham", OCDA, {}),
    (
        S.AWAITING_AUTHORISATION,
        S.AUTHORISED,
        "dso",
        "analyst",
        "provider_spoc",
        {"reasons": "Life at risk."},
        {"category": "threat_to_life", "urgency": "immediate"},
    ),
    (S.AUTHORISED, S.SENT, "spoc", "analyst", "provider_spoc", {}, {}),
    (S.SENT, S.ACKNOWLEDGED, "provider_spoc", "spoc", "eastgate_spoc", {}, {}),
    (S.SENT, S.DECLINED, "provider_spoc", "spoc", "eastgate_spoc", {"reason": "Not our number."}, {}),
    (S.SENT, S.CLARIFICATION_REQUESTED, "provider_spoc", "spoc", "eastgate_spoc", {"question": "Which SIM?"}, {}),
    (S.ACKNOWLEDGED, S.DECLINED, "provider_spoc", "spoc", "eastgate_spoc", {"reason": "Not held."}, {}),
    (
        S.ACKNOWLEDGED,
        S.CLARIFICATION_REQUESTED,
        "provider_spoc",
        "spoc",
        "eastgate_spoc",
        {"question": "UTC?"},
        {},
    ),
    (S.CLARIFICATION_REQUESTED, S.SENT, "spoc", "provider_spoc", "eastgate_spoc", {"answer": "UK time."}, {}),
    (S.FULFILLED, S.CLOSED, "spoc", "provider_spoc", "eastgate_spoc", {}, {}),
    (S.DECLINED, S.CLOSED, "spoc", "analyst", "eastgate_spoc", {}, {}),
    (S.REFUSED, S.CLOSED, "spoc", "analyst", "provider_spoc", {}, {}),
    (S.SPOC_REVIEW, S.WITHDRAWN, "spoc", "sro", "provider_spoc", {"reason": "Found safe."}, {}),
    (S.DRAFT, S.WITHDRAWN, "analyst", None, "provider_spoc", {"reason": "Not needed."}, {}),
    (S.ACKNOWLEDGED, S.WITHDRAWN, "spoc", "provider_spoc", "eastgate_spoc", {"reason": "Charged."}, {}),
    (S.AUTHORISED, S.EXPIRED, "spoc", "analyst", "provider_spoc", {"reason": "Preservation ran out."}, {}),
    (S.ACKNOWLEDGED, S.FULFILLED, "provider_spoc", "spoc", "eastgate_spoc", {}, {"upload": True}),
]


def _snapshot(req: CommsRequest) -> tuple:
    row = CommsRequest.objects.filter(pk=req.pk).values().get()
    return row, CommsRequestTransition.objects.filter(request=req).count(), req.responses.count()


def _prepare(people, source: str, extra: dict) -> CommsRequest:
    extra = dict(extra)
    upload = extra.pop("upload", False)
    req = at_state(people, source, **extra)
    if upload:
        from spoc.seed import upload_demo_response

        upload_demo_response(req, people.provider_spoc)
    return req


@pytest.mark.parametrize(("source", "to", "allowed", "forbidden", "hidden", "data", "extra"), STEPS)
def test_each_step_allowed_forbidden_and_hidden(people, source, to, allowed, forbidden, hidden, data, extra):
    req = _prepare(people, source, extra)
    assert req.state == source
    before = _snapshot(req)

    # Cannot see it: the same 404 as a request that does not exist, recorded, nothing changed.
    with pytest.raises(Http404):
        request_transition(actor=getattr(people, hidden), request_id=req.pk, to=to, data=data)
    refusal = AccessEvent.objects.filter(action=AccessAction.REFUSED).latest("id")
    assert refusal.object_id == str(req.pk) and refusal.actor == getattr(people, hidden)
    assert _snapshot(req) == before

    # Sees it, may not take the step: 403, recorded, nothing changed. (A draft is seen only by
    # its applicant and the SPoCs, who may both withdraw it.)
    if forbidden is not None:
        with pytest.raises(PermissionDenied):
            request_transition(actor=getattr(people, forbidden), request_id=req.pk, to=to, data=data)
        refusal = AccessEvent.objects.filter(action=AccessAction.REFUSED).latest("id")
        assert refusal.actor == getattr(people, forbidden) and to in refusal.reason
        assert _snapshot(req) == before

    moved = request_transition(actor=getattr(people, allowed), request_id=req.pk, to=to, data=data)
    assert moved.state == to
    step = CommsRequestTransition.objects.filter(request=req).latest("id")
    assert (step.from_state, step.to_state, step.actor) == (source, to, getattr(people, allowed))
    assert AccessEvent.objects.filter(
        action=AccessAction.TRANSITION, object_id=str(req.pk), reason__contains=f"{source} → {to}"
    ).exists()


def test_a_step_not_allowed_from_the_current_state_is_a_conflict_and_changes_nothing(people):
    req = at_state(people, S.DRAFT)
    before = _snapshot(req)
    with pytest.raises(TransitionNotAllowed, match="draft"):
        request_transition(actor=people.spoc, request_id=req.pk, to=S.SENT)
    assert _snapshot(req) == before
    assert AccessEvent.objects.filter(action=AccessAction.REFUSED, object_id=str(req.pk)).exists()


def test_only_the_applicant_submits_their_application(people, personas):
    from portal.accounts.roles import Role
    from portal.accounts.services import user_create

    colleague = user_create(
        username="analyst.two", password="x", agency=personas.agencies["wmp"], role=Role.ANALYST, validate=False
    )
    req = at_state(people, S.DRAFT)
    with pytest.raises(Http404):  # someone else's application does not exist for them
        request_transition(actor=colleague, request_id=req.pk, to=S.SPOC_REVIEW)
    assert CommsRequest.objects.get(pk=req.pk).state == S.DRAFT


@pytest.mark.parametrize(
    ("to", "data", "field"),
    [
        (S.RETURNED, {}, "reason"),
        (S.AWAITING_AUTHORISATION, {"feasibility_note": "  "}, "feasibility_note"),
    ],
)
def test_a_step_without_its_fields_is_refused_field_by_field(people, to, data, field):
    req = at_state(people, S.SPOC_REVIEW)
    before = _snapshot(req)
    with pytest.raises(ValidationError) as error:
        request_transition(actor=people.spoc, request_id=req.pk, to=to, data=data)
    assert field in error.value.message_dict
    assert _snapshot(req) == before


def test_ocda_decision_needs_its_reference_and_a_past_date(people):
    req = at_state(people, S.AWAITING_AUTHORISATION)
    with pytest.raises(ValidationError) as error:
        request_transition(
            actor=people.spoc, request_id=req.pk, to=S.AUTHORISED, data={"reasons": "ok", "decided_on": "2999-01-01"}
        )
    assert "authorisation_reference" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        request_transition(
            actor=people.spoc,
            request_id=req.pk,
            to=S.AUTHORISED,
            data={"authorisation_reference": "OCDA-9", "decided_on": "2999-01-01"},
        )
    assert "decided_on" in error.value.message_dict
    assert CommsRequest.objects.get(pk=req.pk).state == S.AWAITING_AUTHORISATION


def test_urgent_internal_authorisation_is_only_for_an_immediate_threat_to_life(people):
    # A routine county-lines request is not the designated senior officer's to see, let alone authorise.
    req = at_state(people, S.AWAITING_AUTHORISATION)
    with pytest.raises(Http404):
        request_transition(actor=people.dso, request_id=req.pk, to=S.AUTHORISED, data={"reasons": "Quick."})
    assert CommsRequest.objects.get(pk=req.pk).state == S.AWAITING_AUTHORISATION
    # Immediate is for a threat to life only, so no other request ever reaches the officer.
    with pytest.raises(ValidationError) as error:
        draft(people, urgency="immediate")
    assert "urgency" in error.value.message_dict
    # The officer's urgent authorisation lapses after 3 days unless confirmed.
    urgent = at_state(people, S.AWAITING_AUTHORISATION, category="threat_to_life", urgency="immediate")
    with pytest.raises(ValidationError):  # refusing is the OCDA's decision, recorded by a SPoC
        request_transition(actor=people.dso, request_id=urgent.pk, to=S.REFUSED, data={"reasons": "No."})
    moved = request_transition(actor=people.dso, request_id=urgent.pk, to=S.AUTHORISED, data={"reasons": "Life."})
    assert moved.authorisation_route == "urgent" and moved.authorised_by == people.dso
    assert moved.urgent_lapses_at is not None
    assert (moved.urgent_lapses_at - CommsRequestTransition.objects.filter(request=urgent).latest("id").at).days == 3


def test_fulfilling_needs_a_response_uploaded(people):
    req = at_state(people, S.ACKNOWLEDGED)
    with pytest.raises(ValidationError) as error:
        request_transition(actor=people.provider_spoc, request_id=req.pk, to=S.FULFILLED)
    assert "responses" in error.value.message_dict


def test_events_data_needs_the_serious_crime_threshold_and_dates(people):
    req = draft(people, serious_crime_threshold=False, date_from="", date_to="")
    with pytest.raises(ValidationError) as error:
        request_transition(actor=people.analyst, request_id=req.pk, to=S.SPOC_REVIEW)
    assert {"serious_crime_threshold", "date_from"} <= set(error.value.message_dict)


def draft(people, **extra):
    from tests.spoc.conftest import draft as make_draft

    return make_draft(people, **extra)


def test_content_of_communications_is_refused_with_the_warrant_message(people):
    from spoc.services import CONTENT_REFUSAL

    with pytest.raises(ValidationError) as error:
        draft(people, data_sought="The content of the WhatsApp messages sent to the child.")
    assert error.value.message_dict["data_sought"] == [CONTENT_REFUSAL]
    assert "warrant" in CONTENT_REFUSAL and "cannot be used" in CONTENT_REFUSAL
    assert not CommsRequest.objects.exists()


def test_only_applicant_roles_apply(people):
    for who in ("spoc", "provider_spoc", "mash_birmingham", "dso"):
        with pytest.raises(PermissionDenied):
            draft(people, applicant=getattr(people, who))
    assert not CommsRequest.objects.exists()


def test_a_provider_sees_only_its_own_sent_requests(people):
    from spoc.selectors import requests_for_user

    northmoor_draft = at_state(people, S.AUTHORISED)
    northmoor_sent = at_state(people, S.SENT)
    eastgate_sent = at_state(people, S.SENT, provider="provider-eastgate")
    assert list(requests_for_user(people.provider_spoc)) == [northmoor_sent]
    assert list(requests_for_user(people.eastgate_spoc)) == [eastgate_sent]
    assert northmoor_draft not in requests_for_user(people.provider_spoc)
