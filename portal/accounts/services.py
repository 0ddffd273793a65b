"""Writes for agencies and people."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from portal.audit.models import AccessAction, AccessEvent, AlertKind
from portal.audit.services import alert_raise, record_access

from .models import Agency, User
from .roles import API_ROLES, role_has
from .seed import AGENCIES

# The trail names a token by its holder: a token's primary key is its secret key.
TOKEN_OBJECT_TYPE = "authtoken.token"


def agency_group_ensure(*, code: str) -> Group:
    """The auth group through which an agency's object permissions reach its members."""
    group, _ = Group.objects.get_or_create(name=f"agency:{code}")
    return group


@transaction.atomic
def agency_create(*, name: str, code: str, kind: str) -> Agency:
    group = agency_group_ensure(code=code)
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


# --- API tokens: each person's own, created and revoked by them alone -------------------------


@transaction.atomic
def api_token_create(*, user: User, request=None) -> Token:
    """Give `user` a new API token, replacing the one they had.

    The caller shows the returned key to the user once, straight away, and keeps it nowhere
    else: the trail records that a token was issued, never its key (the token's primary key *is*
    the key, so the trail names it by its holder). Raises PermissionDenied for a role without
    API use; views check first (`require_role` with API_ROLES) so that the refusal is a 404.
    """
    if not role_has(user, API_ROLES):
        raise PermissionDenied("This role does not use the API.")
    # One token per person: lock the person so two clicks cannot race to two inserts.
    User.objects.select_for_update().filter(pk=user.pk).first()
    replaced, _ = Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    record_access(
        action=AccessAction.GRANT,
        request=request,
        actor=user,
        object_type=TOKEN_OBJECT_TYPE,
        object_id=str(user.pk),
        reason="API token created by its holder",
        detail={"holder": user.pk, "replaced_previous": bool(replaced), "created": token.created.isoformat()},
    )
    return token


@transaction.atomic
def api_token_revoke(*, user: User, request=None, actor=None, reason: str = "") -> bool:
    """Delete `user`'s API token, if they have one; True when one was revoked.

    `actor` is the holder themself unless given (an administrator's change of role revokes a
    token the new role has no use for).
    """
    revoked, _ = Token.objects.filter(user=user).delete()
    if not revoked:
        return False
    record_access(
        action=AccessAction.REVOKE,
        request=request,
        actor=actor or user,
        object_type=TOKEN_OBJECT_TYPE,
        object_id=str(user.pk),
        reason=reason or "API token revoked by its holder",
        detail={"holder": user.pk},
    )
    return True


# --- Administration: passwords by e-mailed link, privilege changes in the trail ---------------


@transaction.atomic
def user_password_link_send(*, user: User, request, actor=None) -> bool:
    """E-mail `user` a one-use link to set their own password; False when it cannot be sent
    (no address, or the account is inactive).

    Administrators never set or see a password, nor the link: it goes only to the address on
    the account and is neither returned, logged nor put in the trail. The link stops working
    once the password is set (the token covers the password hash) or after
    PASSWORD_RESET_TIMEOUT. `request` supplies the portal's address for the link.
    """
    if not (user.is_active and user.email):
        return False
    path = reverse(
        "accounts:password_set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    record_access(
        action=AccessAction.ADMIN,
        request=request,
        actor=actor,
        obj=user,
        reason="sent a link to set the password",
        detail={"operation": "password_link", "sent_to": user.email},
    )
    context = {
        "user": user,
        "link": request.build_absolute_uri(path),
        "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    send_mail(
        subject=render_to_string("accounts/password_set_subject.txt", context).strip(),
        message=render_to_string("accounts/password_set_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True


# Fields whose change alters what an account, or everyone in an agency, may reach: each change
# goes to the trail with its old and new values and raises an alert for the auditors. An
# account's e-mail address is among them: a password link goes to whoever holds that address.
# An agency's kind decides whether it may be a case's local authority and whether it is the
# police (who hold a vulnerable adult's details without consent).
PRIVILEGE_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    User: ("role", "agency", "is_staff", "is_superuser", "is_active", "email"),
    Agency: ("kind",),
}


def _plain(value: Any) -> Any:
    if isinstance(value, Agency):
        return value.code
    if isinstance(value, models.Model):
        return str(value.pk)
    return value


def privilege_snapshot(obj: models.Model) -> dict[str, Any]:
    """The values of `obj`'s privilege fields, as plain JSON values, to compare after a change."""
    return {field: _plain(getattr(obj, field)) for field in PRIVILEGE_FIELDS.get(type(obj), ())}


@transaction.atomic
def privilege_changes_record(
    *, actor, obj: models.Model, before: Mapping[str, Any] | None, request=None
) -> list[AccessEvent]:
    """Record, and raise an account-change alert for, each privilege field of `obj` that differs
    from `before`; with `before` None (`obj` was just created), one entry for what it was
    created with. Caller saves `obj` in the same transaction, so a change that cannot be
    recorded is not made."""
    after = privilege_snapshot(obj)
    changes: list[dict[str, Any]]
    if before is None:
        changes = [{"operation": "created", "values": after}]
    else:
        changes = [
            {"field": field, "old": before.get(field), "new": new}
            for field, new in after.items()
            if before.get(field) != new
        ]
    events = []
    for detail in changes:
        if before is None:
            reason = f"{obj._meta.verbose_name} created"
            values = ", ".join(f"{field} {value!r}" for field, value in after.items())
            message = f"{actor} created {obj._meta.verbose_name} {obj} with {values}"
        else:
            field = obj._meta.get_field(detail["field"])
            assert isinstance(field, models.Field)  # PRIVILEGE_FIELDS names the model's own fields
            label = field.verbose_name
            reason = f"{label} changed"
            message = f"{actor} changed the {label} of {obj} from {detail['old']!r} to {detail['new']!r}"
        event = record_access(
            action=AccessAction.ADMIN, request=request, actor=actor, obj=obj, reason=reason, detail=detail
        )
        alert_raise(
            kind=AlertKind.ACCOUNT_CHANGE, message=message, actor=actor, subject=obj, detail=detail, event=event
        )
        events.append(event)
    return events
