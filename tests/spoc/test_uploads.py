"""Providers' responses: type-checked by content, size-limited, stored with their SHA-256 outside
any public folder, and every download audited; another company gets 404 for the upload and the
download alike."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from portal.audit.models import AccessAction, AccessEvent
from spoc.models import ProviderResponse, RequestState
from spoc.services import provider_response_upload, response_path, response_verify, sniff
from tests.spoc.conftest import at_state

pytestmark = pytest.mark.django_db
S = RequestState
CSV = b"number,called,started_at\n07700900123,07700900456,2026-06-01T21:14:00\n"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ZIP = b"PK\x05\x06" + b"\x00" * 18  # an empty zip archive


def upload(name: str, body: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body)


@pytest.fixture
def acknowledged(people):
    return at_state(people, S.ACKNOWLEDGED)


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("cdr.csv", CSV, "text/csv"),
        ("notes.txt", "Abonnent: Müller\n".encode(), "text/plain"),
        ("letter.pdf", PDF, "application/pdf"),
        ("bundle.zip", ZIP, "application/zip"),
    ],
)
def test_accepted_types_are_stored_with_their_checksum(people, acknowledged, name, body, content_type):
    response = provider_response_upload(
        actor=people.provider_spoc, request_id=acknowledged.pk, upload=upload(name, body)
    )
    assert response.sha256 == hashlib.sha256(body).hexdigest()
    assert (response.size, response.content_type, response.original_name) == (len(body), content_type, name)
    stored = response_path(response)
    assert stored.read_bytes() == body
    assert Path(settings.MEDIA_ROOT) / "private" in stored.parents  # not a public folder
    assert response.stored_name not in name and response_verify(response)
    event = AccessEvent.objects.filter(action=AccessAction.CREATE, object_type="spoc.providerresponse").latest("id")
    assert event.detail["sha256"] == response.sha256


def test_a_changed_file_fails_its_checksum(people, acknowledged):
    response = provider_response_upload(
        actor=people.provider_spoc, request_id=acknowledged.pk, upload=upload("a.csv", CSV)
    )
    response_path(response).write_bytes(CSV + b"07700900999,07700900000,2026-06-02T00:00:00\n")
    assert not response_verify(response)


@pytest.mark.parametrize(
    ("name", "body", "why"),
    [
        ("cdr.pdf", CSV, "not a PDF"),  # the name says PDF, the content is text
        ("cdr.csv", PDF, "not a CSV"),
        ("cdr.csv", b"MZ\x90\x00\x03\x00\x00\x00", "not a CSV"),  # a Windows executable renamed
        ("cdr.txt", b"abc\x00def", "not a TXT"),
        ("cdr.zip", CSV, "not a ZIP"),
        ("cdr.exe", CSV, "CSV, PDF, ZIP or plain-text"),
        ("cdr.html", b"<script>alert(1)</script>", "CSV, PDF, ZIP or plain-text"),
        ("empty.csv", b"", "empty"),
    ],
)
def test_bad_types_are_refused_and_nothing_is_stored(people, acknowledged, name, body, why):
    with pytest.raises(ValidationError) as error:
        provider_response_upload(actor=people.provider_spoc, request_id=acknowledged.pk, upload=upload(name, body))
    assert why in " ".join(error.value.message_dict["file"])
    assert not ProviderResponse.objects.exists()
    folder = Path(settings.MEDIA_ROOT) / "private" / "spoc-responses"
    assert not folder.exists() or not any(folder.iterdir())


def test_too_large_is_refused(people, acknowledged, settings):
    settings.SPOC_RESPONSE_MAX_BYTES = 64
    with pytest.raises(ValidationError) as error:
        provider_response_upload(
            actor=people.provider_spoc, request_id=acknowledged.pk, upload=upload("a.csv", CSV * 2)
        )
    assert "larger than" in error.value.message_dict["file"][0]
    assert not ProviderResponse.objects.exists()
    provider_response_upload(actor=people.provider_spoc, request_id=acknowledged.pk, upload=upload("a.csv", CSV[:64]))


def test_default_limit_is_20_mib():
    from spoc.services import DEFAULT_MAX_RESPONSE_BYTES

    assert DEFAULT_MAX_RESPONSE_BYTES == 20 * 1024 * 1024


def test_who_may_upload(people, acknowledged):
    with pytest.raises(Http404):  # another company: the request does not exist for it
        provider_response_upload(actor=people.eastgate_spoc, request_id=acknowledged.pk, upload=upload("a.csv", CSV))
    with pytest.raises(PermissionDenied):  # the police SPoC sees it but does not answer for the company
        provider_response_upload(actor=people.spoc, request_id=acknowledged.pk, upload=upload("a.csv", CSV))
    sent = at_state(people, S.SENT)
    with pytest.raises(ValidationError):  # acknowledge first
        provider_response_upload(actor=people.provider_spoc, request_id=sent.pk, upload=upload("a.csv", CSV))
    assert not ProviderResponse.objects.exists()


def test_sniff():
    assert (sniff(PDF), sniff(ZIP), sniff(CSV), sniff(b"\x89PNG\r\n\x1a\n")) == ("pdf", "zip", "text", None)
    assert sniff("é".encode() * 2047 + b"\xc3") == "text"  # a character cut at the end of the sample


def test_the_upload_page_and_the_audited_download(client, people, acknowledged):
    client.force_login(people.provider_spoc)
    page = client.post(reverse("spoc:response_upload", args=[acknowledged.pk]), {"file": upload("cdr.csv", CSV)})
    assert page.status_code == 302
    response = ProviderResponse.objects.get()
    bad = client.post(
        reverse("spoc:response_upload", args=[acknowledged.pk]), {"file": upload("cdr.pdf", CSV)}, follow=True
    )
    assert "not a PDF" in bad.content.decode() and ProviderResponse.objects.count() == 1

    for user in (people.provider_spoc, people.spoc, people.analyst):  # the company, the SPoC, the applicant
        client.force_login(user)
        download = client.get(reverse("spoc:response_download", args=[response.pk]))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == CSV
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff"
        event = AccessEvent.objects.filter(action=AccessAction.EXPORT).latest("id")
        assert (event.actor, event.object_type, event.object_id) == (user, "spoc.providerresponse", str(response.pk))

    for outsider in (people.eastgate_spoc, people.mash_birmingham, people.partner_health):
        client.force_login(outsider)
        before = AccessEvent.objects.filter(action=AccessAction.EXPORT).count()
        refused = client.get(reverse("spoc:response_download", args=[response.pk]))
        assert refused.status_code == 404 and CSV not in refused.content
        assert AccessEvent.objects.filter(action=AccessAction.EXPORT).count() == before
        assert AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=outsider).exists()
