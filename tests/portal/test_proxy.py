"""The trail's source address cannot be forged: proxy headers count only from TRUSTED_PROXIES."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from portal.audit.models import AccessEvent
from portal.proxy import forwarded_client

ROOT = Path(__file__).resolve().parents[2]


def test_forwarded_client_walks_only_through_trusted_hops(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "192.168.9.9"]
    assert forwarded_client("203.0.113.5", "1.2.3.4", 1) == "203.0.113.5"  # not a proxy: header ignored
    assert forwarded_client("10.0.0.2", "1.2.3.4", 1) == "1.2.3.4"
    # The client wrote a fake address first; our proxy appended the real one.
    assert forwarded_client("10.0.0.2", "6.6.6.6, 1.2.3.4", 1) == "1.2.3.4"
    assert forwarded_client("10.0.0.2", "6.6.6.6, 1.2.3.4, 192.168.9.9", 2) == "1.2.3.4"
    assert forwarded_client("10.0.0.2", "6.6.6.6, 1.2.3.4, 192.168.9.9", 1) == "192.168.9.9"
    assert forwarded_client("10.0.0.2", "not-an-address", 1) == "10.0.0.2"
    assert forwarded_client("10.0.0.2", "", 1) == "10.0.0.2"


@pytest.mark.django_db
def test_a_forged_forwarded_for_never_reaches_the_trail(client, personas, child_case, settings):
    from auditlog.models import LogEntry

    settings.TRUSTED_PROXIES = []
    client.force_login(personas.mash_birmingham)
    client.get(
        reverse("safeguarding:case_detail", args=[child_case.pk]), REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert AccessEvent.objects.latest("id").ip_address == "203.0.113.5"
    client.post(
        reverse("safeguarding:case_edit", args=[child_case.pk]),
        {"summary": "changed"},
        REMOTE_ADDR="203.0.113.5",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )
    change = LogEntry.objects.get_for_object(child_case).latest("timestamp")
    assert change.remote_addr == "203.0.113.5"


@pytest.mark.django_db
def test_a_trusted_proxy_supplies_the_client_address(client, personas, child_case, settings):
    settings.TRUSTED_PROXIES = ["172.28.0.10"]
    client.force_login(personas.mash_birmingham)
    client.get(
        reverse("safeguarding:case_detail", args=[child_case.pk]),
        REMOTE_ADDR="172.28.0.10",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23",
    )
    assert AccessEvent.objects.latest("id").ip_address == "198.51.100.23"


@pytest.mark.django_db
def test_forwarded_proto_counts_only_from_a_trusted_proxy(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = ["172.28.0.10"]
    forged = client.get(reverse("accounts:login"), REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_PROTO="https")
    assert forged.status_code == 301 and forged.url.startswith("https://")
    proxied = client.get(reverse("accounts:login"), REMOTE_ADDR="172.28.0.10", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200


def test_compose_publishes_only_the_proxy_and_trusts_its_address():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert sorted(name for name, service in services.items() if service.get("ports")) == ["proxy"]
    proxy_address = services["proxy"]["networks"]["portal"]["ipv4_address"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == proxy_address
