"""schemathesis runs every operation of the API's OpenAPI schema against the app (WSGI, no
network) with an analyst's token: no server error, every status code and answer as the schema
says. Each operation is tried with generated ids (mostly the documented 404s) and with the ids
of the fixtures' completed run, group, person and case, so that the successful answers are
checked against the schema too."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from rest_framework.throttling import UserRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 8  # per operation and id set: keeps the whole schema under a minute for CI
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def analyst_token(personas):
    """The analyst's token, through the real services: a confirmed authenticator device first,
    so the token is valid whether or not the settings require two-factor sign-in."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.accounts.services import api_token_create

    TOTPDevice.objects.create(user=personas.analyst, name="phone", confirmed=True)
    return api_token_create(user=personas.analyst).key


@pytest.fixture
def wsgi_app():
    """The portal's WSGI application, keeping the test's database connection open between
    requests as Django's own test client does (each request's end would close it: on
    PostgreSQL that loses the test's transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _known_ids(analyst, completed_run, child_case) -> dict[str, object]:
    from analytics.exports import ExportFormat, ExportKind, export_create, export_request_clean

    group = completed_run.group_results.first().group
    spec = export_request_clean(
        kind=ExportKind.GROUPS,
        format=ExportFormat.CSV,
        run_id=completed_run.pk,
        purpose="investigation",
        justification="Operation Larch: the groups for the briefing.",
    )
    export = export_create(user=analyst, spec=spec)
    return {
        "case": child_case.pk,
        "run_id": completed_run.pk,
        "group": group,
        "nominal_id": "N-TEST-2",
        "export": export.export_id,
    }


def _id_for(path: str) -> str:
    """What `{id}` names in a path: an export, a run or a case."""
    return "export" if path.startswith("/api/v1/exports/") else "run_id" if path.startswith("/api/v1/runs/") else "case"


def _exercise(operation, path_parameters: dict, headers: dict, statuses: set[int]) -> None:
    """Up to MAX_EXAMPLES generated calls of `operation` (path parameters fixed where given),
    each checked; the statuses seen are added to `statuses`."""

    @given(case=operation.as_strategy(path_parameters=path_parameters or None))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        statuses.add(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    call()


def test_every_operation_conforms_to_the_schema(
    personas, completed_run, child_case, analyst_token, wsgi_app, monkeypatch, rf
):
    from portal.audit.purpose import purpose_record

    # The analyst did not start the run: they give their purpose for the person's profile first,
    # as on its page, so that the profile's successful answer is checked too.
    request = rf.get("/")
    request.user = personas.analyst
    purpose_record(
        request=request,
        subject_type="analytics.nominalresult",
        subject_id=f"{completed_run.pk}/N-TEST-2",
        label="N-TEST-2",
        purpose="investigation",
        justification="Operation Larch: the dealer's profile.",
    )
    # And for the cases they may read, so that their successful answers are checked too (without
    # it a case answers the documented 403 that asks for the purpose first).
    from portal.access import objects_for_user
    from safeguarding.models import Case

    for case in objects_for_user(personas.analyst, Case.objects.all()):
        purpose_record(
            request=request,
            subject_type="safeguarding.case",
            subject_id=str(case.pk),
            label=case.reference,
            purpose="investigation",
            justification="Operation Larch: the children the line exploits.",
        )
    # Hundreds of calls in a few seconds: the rate limit is not what this test is about.
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "100000/minute"})
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app)
    known = _known_ids(personas.analyst, completed_run, child_case)
    headers = {"Authorization": f"Token {analyst_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 9
    tried: list[str] = []
    answered: dict[str, set[int]] = {}
    for operation in operations:
        names = {parameter.name for parameter in operation.path_parameters}
        fixed = {name: known[_id_for(operation.path) if name == "id" else name] for name in names}
        for path_parameters in ({}, fixed) if names else ({},):
            statuses = answered.setdefault(operation.label, set()) if (path_parameters or not names) else set()
            _exercise(operation, path_parameters, headers, statuses)
        tried.append(operation.label)
    assert "POST /api/v1/exports/" in tried
    # With the fixtures' ids every read of the analyst's API answered with its record at least once.
    # (The SPoC area's reads are conformance-checked here too; the analyst holds none of its
    # records, so their successful answers are tests/spoc/test_api.py's.)
    reads = [
        label
        for label in tried
        if label.startswith("GET /api/v1/") and not any(a in label for a in ("/cases", "/comms-requests", "/deal-lines"))
    ]
    assert len(reads) >= 8
    missed = {label: sorted(answered.get(label, ())) for label in reads if 200 not in answered.get(label, ())}
    assert not missed, f"never answered 200 with the fixtures' ids: {missed}"


def test_the_first_api_conforms_to_its_schema(personas, nominal, analyst_token, wsgi_app, monkeypatch, rf):
    """The first API's paths (`/api/cases/`, `/api/nominals/`, kept for their callers) against
    /api/schema/: the nominal search answers a total and the matches, as described; a nominal
    outside one's work the documented 403 until its purpose is given."""
    from portal.audit.purpose import purpose_record

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "100000/minute"})
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    headers = {"Authorization": f"Token {analyst_token}"}
    first = [
        operation
        for operation in (result.ok() for result in schema.get_all_operations())  # type: ignore[union-attr]
        if not operation.path.startswith("/api/v1/")
    ]
    assert {operation.label for operation in first} >= {"GET /api/nominals/", "GET /api/nominals/{id}/"}
    answered: dict[str, set[int]] = {}

    def exercise_all() -> None:
        for operation in first:
            names = {parameter.name for parameter in operation.path_parameters}
            fixed = {"id": nominal.pk} if operation.path.startswith("/api/nominals/") and names else {}
            _exercise(operation, fixed, headers, answered.setdefault(operation.label, set()))

    exercise_all()
    assert 403 in answered["GET /api/nominals/{id}/"] and 200 in answered["GET /api/nominals/"]
    request = rf.get("/")
    request.user = personas.analyst
    purpose_record(
        request=request,
        subject_type="analytics.nominal",
        subject_id=nominal.pk,
        label=nominal.pk,
        purpose="investigation",
        justification="Operation Larch: the dealer's record.",
    )
    exercise_all()
    assert 200 in answered["GET /api/nominals/{id}/"]
