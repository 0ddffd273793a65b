"""Personas of the SPoC liaison beyond tests/conftest.py's, built with the real services: a second
provider (Eastgate) and its SPoC, a designated senior officer and a senior responsible officer;
and helpers that take a request along its lifecycle through `request_transition`."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture(autouse=True)
def _responses_in_tmp(settings, tmp_path):
    """Providers' responses go under a throwaway MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def make_people(personas) -> SimpleNamespace:
    from portal.accounts.models import AgencyKind
    from portal.accounts.roles import Role
    from portal.accounts.services import agency_create, user_create

    eastgate = agency_create(
        name="Eastgate Telecom (synthetic provider)", code="provider-eastgate", kind=AgencyKind.COMMUNICATIONS_PROVIDER
    )

    def make(username: str, role: str, agency):
        return user_create(username=username, password="x", agency=agency, role=role, validate=False)

    return SimpleNamespace(
        **personas.all(),
        agencies={**personas.agencies, "provider-eastgate": eastgate},
        eastgate=eastgate,
        northmoor=personas.agencies["provider-northmoor"],
        eastgate_spoc=make("eastgate.spoc", Role.PROVIDER_SPOC, eastgate),
        dso=make("dso", Role.DESIGNATED_SENIOR_OFFICER, personas.agencies["wmp"]),
        sro=make("sro", Role.SENIOR_RESPONSIBLE_OFFICER, personas.agencies["wmp"]),
    )


@pytest.fixture
def people(personas) -> SimpleNamespace:
    return make_people(personas)


def draft(people, *, provider: str = "provider-northmoor", applicant=None, **extra):
    from spoc.seed import application
    from spoc.services import request_create

    return request_create(
        actor=applicant or people.analyst,
        data=application(provider=provider, category=extra.pop("category", "child_criminal_exploitation"), **extra),
    )


def at_state(people, state: str, **extra):
    """A request taken to `state` by the people whose steps they are (spoc.seed.take_path)."""
    from spoc.seed import take_path

    req = draft(people, **extra)
    actors = {
        "spoc": people.spoc,
        "provider-northmoor": people.provider_spoc,
        "provider-eastgate": people.eastgate_spoc,
        "dso": people.dso,
    }
    return take_path(req, state, actors)


@pytest.fixture
def make_request(people):
    def build(state: str = "draft", **extra):
        return at_state(people, state, **extra)

    return build
