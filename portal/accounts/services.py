"""Writes for agencies and people."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from .models import Agency, User
from .seed import AGENCIES


@transaction.atomic
def agency_create(*, name: str, code: str, kind: str) -> Agency:
    group, _ = Group.objects.get_or_create(name=f"agency:{code}")
    agency, _ = Agency.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "group": group})
    return agency


def agencies_seed() -> dict[str, Agency]:
    """Make sure every agency of the partnership exists; returns them by code."""
    for name, code, kind in AGENCIES:
        agency_create(name=name, code=code, kind=kind)
    return {agency.code: agency for agency in Agency.objects.all()}


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    agency: Agency,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    validate: bool = True,
) -> User:
    """Create a user in `agency`. The password must pass the configured validators."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        agency=agency,
        role=role,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def sync_agency_group(user: User) -> None:
    """Keep a user in exactly one agency group: their own agency's."""
    agency_groups = Group.objects.filter(agency__isnull=False)
    user.groups.remove(*agency_groups.exclude(pk=user.agency.group_id))
    user.groups.add(user.agency.group)
