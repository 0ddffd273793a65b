"""Headers on every answer: a Content-Security-Policy with no inline script, no caching of
anything that carries personal data, and plain error pages in the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_pages_carry_a_policy_without_inline_script(client, personas, child_case):
    client.force_login(personas.mash_birmingham)
    response = client.get(reverse("safeguarding:case_detail", args=[child_case.pk]))
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert not any("unsafe" in value for values in directives.values() for value in values)


def test_no_template_has_inline_script_or_style():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for marker in ("<script>", "<style", " style=", " onclick=", " onload=", " onsubmit=", "javascript:"):
            if marker in text:
                offenders.append(f"{template.relative_to(ROOT)}: {marker.strip()}")
        for line in text.splitlines():
            if "<script" in line and "src=" not in line:
                offenders.append(f"{template.relative_to(ROOT)}: inline <script>")
    assert not offenders, offenders


@pytest.mark.parametrize(
    "url_name,args,persona",
    [
        ("safeguarding:case_detail", "case", "mash_birmingham"),
        ("safeguarding:case_list", None, "mash_birmingham"),
        ("case-detail", "case", "mash_birmingham"),
        ("analytics:nominal_list", None, "analyst"),
        ("audit:event_list", None, "auditor"),
        ("accounts:login", None, None),
    ],
)
def test_personal_pages_and_api_answers_are_never_stored(client, personas, child_case, url_name, args, persona):
    if persona:
        client.force_login(getattr(personas, persona))
    response = client.get(reverse(url_name, args=[child_case.pk] if args else None))
    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control


def test_refusals_are_not_stored_either(client, personas, child_case):
    client.force_login(personas.mash_coventry)
    response = client.get(reverse("safeguarding:case_detail", args=[child_case.pk]))
    assert response.status_code == 404 and "no-store" in response["Cache-Control"]


def test_the_demo_shows_plain_error_pages():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.demo"}
    env.pop("DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_a_404_lists_no_urls(client, personas):
    client.force_login(personas.analyst)
    body = client.get("/no-such-page/").content.decode()
    assert "URLconf" not in body and "admin/" not in body and "Not found" in body
