"""`/api/v1/comms-requests/` and `/api/v1/deal-lines/`: the list's fields, the provider's shape
(nothing of the case), transitions with 200/400/403/404/409, and 404 across providers for
reads and actions, each refusal recorded and changing nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from portal.audit.models import AccessAction, AccessEvent
from spoc.models import CommsRequest, RequestState
from tests.spoc.conftest import at_state

pytestmark = pytest.mark.django_db
S = RequestState
LIST_FIELDS = {
    "id",
    "reference",
    "kind",
    "category",
    "provider",
    "state",
    "submitted_at",
    "acknowledged_at",
    "fulfilled_at",
    "due_at",
}


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_list_items_carry_the_contract_fields_and_are_recorded(client, people):
    sent = at_state(people, S.SENT)
    client.force_login(people.spoc)
    response = client.get(reverse("comms-request-list"))
    assert response.status_code == 200
    item = response.json()["results"][0]
    assert LIST_FIELDS <= set(item)
    assert (item["id"], item["state"], item["provider"]) == (sent.pk, "sent", "Northmoor Mobile (synthetic provider)")
    assert item["due_at"] is not None and item["acknowledged_at"] is None
    event = AccessEvent.objects.filter(action=AccessAction.LIST, actor=people.spoc).latest("id")
    assert event.result_count == 1 and event.subjects.filter(subject_id=str(sent.pk)).exists()


def test_a_provider_gets_its_own_requests_in_the_providers_shape(client, people, child_case):
    mine = at_state(people, S.SENT, case=child_case.pk)
    theirs = at_state(people, S.SENT, provider="provider-eastgate")
    at_state(people, S.AUTHORISED)  # not sent yet: no provider sees it
    client.force_login(people.provider_spoc)
    listed = client.get(reverse("comms-request-list")).json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]
    detail = client.get(reverse("comms-request-detail", args=[mine.pk]))
    body = detail.json()
    assert detail.status_code == 200 and body["identifier"] == "07700 900123"
    for withheld in (
        "case",
        "nominal",
        "deal_line",
        "investigation",
        "necessity",
        "proportionality",
        "collateral_intrusion",
        "applicant",
    ):
        assert withheld not in body
    text = detail.content.decode()
    assert "Harbottle" not in text and child_case.reference not in text and "Kestrel" not in text
    assert body["allowed_transitions"] == ["acknowledged", "clarification_requested", "declined"]
    # Another company's request: 404 for the read and the action, nothing in the body, recorded.
    for response in (
        client.get(reverse("comms-request-detail", args=[theirs.pk])),
        post(client, reverse("comms-request-transitions", args=[theirs.pk]), {"to": "acknowledged"}),
    ):
        assert response.status_code == 404
        assert theirs.reference not in response.content.decode()
        assert AccessEvent.objects.filter(
            action=AccessAction.REFUSED, object_id=str(theirs.pk), actor=people.provider_spoc
        ).exists()
    assert CommsRequest.objects.get(pk=theirs.pk).state == S.SENT


def test_the_police_detail_has_the_application(client, people, child_case):
    req = at_state(people, S.SPOC_REVIEW, case=child_case.pk)
    client.force_login(people.spoc)
    body = client.get(reverse("comms-request-detail", args=[req.pk])).json()
    assert body["case"] == child_case.pk and body["necessity"]
    assert body["allowed_transitions"] == ["returned", "awaiting_authorisation", "withdrawn", "expired"]
    assert [step["to_state"] for step in body["transitions"]] == ["draft", "spoc_review"]


def test_transitions_through_the_api(client, people):
    req = at_state(people, S.SENT)
    url = reverse("comms-request-transitions", args=[req.pk])
    client.force_login(people.spoc)
    forbidden = post(client, url, {"to": "acknowledged"})  # the company's step
    assert forbidden.status_code == 403
    conflict = post(client, url, {"to": "closed"})
    assert conflict.status_code == 409 and "sent" in conflict.json()["detail"]
    client.force_login(people.provider_spoc)
    bad = post(client, url, {"to": "declined"})
    assert bad.status_code == 400 and "reason" in bad.json()
    unknown = post(client, url, {"to": "teleported"})
    assert unknown.status_code == 400
    not_an_object = post(client, url, ["acknowledged"])
    assert not_an_object.status_code == 400
    assert CommsRequest.objects.get(pk=req.pk).state == S.SENT
    done = post(client, url, {"to": "acknowledged"})
    assert done.status_code == 200 and done.json()["state"] == "acknowledged"
    assert done.json()["acknowledged_at"] is not None


def test_outsiders_get_404_on_the_lists(client, people):
    at_state(people, S.SENT)
    for who in (people.mash_birmingham, people.partner_health, people.auditor, people.administrator):
        client.force_login(who)
        assert client.get(reverse("comms-request-list")).status_code == 404
        assert client.get(reverse("deal-line-list")).status_code == 404


def test_deal_lines_api(client, people):
    from spoc.services import deal_line_create

    line = deal_line_create(
        actor=people.analyst,
        data={"number": "07700 900321", "line_name": "Reds", "children_exploited": 2, "firearms": True},
    )
    req = at_state(people, S.DRAFT, deal_line=line.pk)
    client.force_login(people.spoc)
    listed = client.get(reverse("deal-line-list")).json()["results"]
    assert listed[0]["id"] == line.pk and listed[0]["risk_score"] == 35
    detail = client.get(reverse("deal-line-detail", args=[line.pk])).json()
    assert detail["requests"] == [req.pk] and detail["number"] == "07700 900321"
    client.force_login(people.provider_spoc)
    assert client.get(reverse("deal-line-detail", args=[line.pk])).status_code == 404


def test_the_v1_schema_describes_the_errors(client, people):
    client.force_login(people.analyst)
    schema = client.get(reverse("api-v1-schema"), {"format": "json"})
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"] if schema["Content-Type"].startswith("application/json") else None
    if paths is None:
        import yaml

        paths = yaml.safe_load(schema.content)["paths"]
    transitions = paths["/api/v1/comms-requests/{id}/transitions/"]["post"]["responses"]
    assert {"200", "400", "403", "404", "409"} <= set(transitions)
