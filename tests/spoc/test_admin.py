"""The service levels are reference data the administrator keeps in the admin site, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.audit.models import AccessAction, AccessEvent
from spoc.clocks import level_for
from spoc.models import ServiceLevel

pytestmark = pytest.mark.django_db


def test_the_administrator_sets_a_providers_service_level(client, people):
    client.force_login(people.administrator)
    assert client.get(reverse("admin:spoc_servicelevel_changelist")).status_code == 200
    response = client.post(
        reverse("admin:spoc_servicelevel_add"),
        {
            "provider": people.northmoor.pk,
            "category": "child_criminal_exploitation",
            "acknowledge_amount": 4,
            "acknowledge_unit": "hours",
            "fulfil_amount": 2,
            "fulfil_unit": "working_days",
        },
    )
    assert response.status_code == 302
    level = ServiceLevel.objects.get()
    assert level_for(provider_id=people.northmoor.pk, category="child_criminal_exploitation").acknowledge_amount == 4
    assert (
        level_for(provider_id=people.eastgate.pk, category="child_criminal_exploitation").acknowledge_unit
        == "working_days"
    )
    assert AccessEvent.objects.filter(
        action=AccessAction.ADMIN, object_type="spoc.servicelevel", object_id=str(level.pk)
    ).exists()


def test_nobody_else_reaches_it(client, people):
    for user in (people.spoc, people.provider_spoc):
        client.force_login(user)
        assert client.get(reverse("admin:spoc_servicelevel_changelist")).status_code in (302, 403, 404)
