"""Bad API input is a 400 with a message and changes nothing; refusals before any view code
runs (anonymous callers, bad tokens) are recorded."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from portal.audit.models import AccessAction, AccessEvent

pytestmark = pytest.mark.django_db


def _patch(client, case, body: str):
    return client.generic("PATCH", reverse("case-detail", args=[case.pk]), body, content_type="application/json")


def test_deeply_nested_json_is_a_400_not_a_500(client, personas, child_case):
    client.force_login(personas.mash_birmingham)
    for depth in (21, 100, 100_000):
        response = _patch(client, child_case, "[" * depth + "]" * depth)
        assert response.status_code == 400, depth
        assert "levels deep" in response.json()["detail"]
    child_case.refresh_from_db()
    assert child_case.summary == "Seen running for a deal line."


def test_json_at_the_depth_limit_is_read(client, personas, child_case, settings):
    client.force_login(personas.mash_birmingham)
    nested = {"summary": "kept"}
    body: object = nested
    for _ in range(settings.API_MAX_JSON_DEPTH - 2):
        body = {"wrap": body}
    # Depth exactly at the limit parses (unknown keys are ignored by the serializer).
    response = _patch(client, child_case, json.dumps({"summary": "kept", "extra": body}))
    assert response.status_code == 200


def test_oversized_and_malformed_bodies_are_400(client, personas, child_case, settings):
    client.force_login(personas.mash_birmingham)
    settings.API_MAX_BODY_BYTES = 1000
    big = _patch(client, child_case, json.dumps({"summary": "x" * 2000}))
    assert big.status_code == 400 and "larger than" in big.json()["detail"]
    broken = _patch(client, child_case, '{"summary": ')
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["detail"]
    form = client.patch(
        reverse("case-detail", args=[child_case.pk]), "summary=x", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 415
    child_case.refresh_from_db()
    assert child_case.summary == "Seen running for a deal line."


def test_anonymous_api_attempts_are_recorded(client, child_case):
    response = client.get(reverse("case-detail", args=[child_case.pk]))
    assert response.status_code in (401, 403)
    assert "Harbottle" not in response.content.decode()
    event = AccessEvent.objects.filter(action=AccessAction.REFUSED).latest("id")
    assert event.actor is None and event.path == reverse("case-detail", args=[child_case.pk])


def test_a_bad_token_is_recorded(client, child_case):
    response = client.get(reverse("case-list"), HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert response.status_code in (401, 403)
    assert AccessEvent.objects.filter(action=AccessAction.REFUSED, reason__icontains="invalid token").exists()


def test_the_api_schema_is_valid_and_documents_tokens_bound_to_two_factor(client, personas):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    client.force_login(personas.mash_birmingham)
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "tokenAuth" in text and "two-factor" in text


@pytest.mark.parametrize(
    "persona,url_name,param",
    [
        ("analyst", "analytics:nominal_list", "q"),
        ("analyst", "nominal-list", "q"),
        ("mash_birmingham", "safeguarding:case_list", "q"),
        ("mash_birmingham", "case-list", "q"),
        ("auditor", "audit:event_list", "user"),
    ],
)
def test_control_characters_are_stripped_from_every_query_the_same_way(
    client, personas, nominal, child_case, persona, url_name, param
):
    from portal.text import clean_query

    client.force_login(getattr(personas, persona))
    response = client.get(reverse(url_name), {param: "Harb\x00ottle\u200b\x1b "})
    assert response.status_code == 200
    event = AccessEvent.objects.filter(actor=getattr(personas, persona)).latest("id")
    assert event.action == AccessAction.SEARCH
    assert "\x00" not in event.query and "\u200b" not in event.query and "\x1b" not in event.query
    assert clean_query("Harb\x00ottle\u200b\x1b ") == "Harbottle"
    if persona != "auditor":
        assert event.result_count == 1, "the cleaned query finds what was meant, not everything"


def test_a_nul_alone_is_no_query_at_all(client, personas, nominal):
    client.force_login(personas.analyst)
    client.get(reverse("analytics:nominal_list"), {"q": "\x00"})
    event = AccessEvent.objects.filter(actor=personas.analyst).latest("id")
    assert event.action == AccessAction.LIST and event.query == ""
