"""Object-level access control: who may read or write which record.

A record is shared with an agency (through the agency's group) or with one person, for READ or
for WRITE; WRITE includes READ. Permissions live in django-guardian's direct foreign-key tables
(one pair per protected model), so listing what a user may see is one indexed query.

Rules every caller relies on:
- No access at all and "does not exist" are the same answer: Http404, with nothing in the body
  that tells them apart.
- Read-only access to something the caller tries to change: PermissionDenied (403).
- Global (model-level) permissions never widen object access (accept_global_perms=False), and
  superusers get no bypass: administrators run the system, they do not read case files.
- Every refusal, grant and revocation is written to the access trail.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from portal.audit.models import AccessAction
from portal.audit.services import record_access

_M = TypeVar("_M", bound=models.Model)


class Access(enum.Enum):
    READ = "view"
    WRITE = "change"


def _perm(model: type[models.Model], level: Access) -> str:
    return f"{model._meta.app_label}.{level.value}_{model._meta.model_name}"


def _perms_for(level: Access) -> tuple[Access, ...]:
    return (Access.READ, Access.WRITE) if level is Access.WRITE else (Access.READ,)


def objects_for_user(user, queryset: models.QuerySet[_M], level: Access = Access.READ) -> models.QuerySet[_M]:
    """The subset of `queryset` that `user` may read (or write)."""
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    return get_objects_for_user(
        user,
        _perm(queryset.model, level),
        klass=queryset,
        accept_global_perms=False,
        with_superuser=False,
    )


def get_object_for_user(
    *,
    user,
    queryset: models.QuerySet[_M],
    pk,
    level: Access = Access.READ,
    request=None,
    purpose: str = "",
) -> _M:
    """Fetch one object and authorise `user` for `level`, recording the access.

    Raises Http404 when the object does not exist or the user may not read it, and
    PermissionDenied when the user may read but `level` is WRITE. Every successful fetch is
    recorded as a view: a fetch to write (an edit form, a sharing page, an API PATCH that changes
    nothing) shows the record's data just as a read does. The change itself is django-auditlog's.
    """
    model = queryset.model
    label = model._meta.label_lower
    obj = objects_for_user(user, queryset, Access.READ).filter(pk=pk).first() if pk else None
    if obj is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            actor=user if user.is_authenticated else None,
            object_type=label,
            object_id=str(pk),
            reason="not found or not shared",
        )
        raise Http404
    if level is Access.WRITE and not objects_for_user(user, queryset, Access.WRITE).filter(pk=pk).exists():
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            actor=user,
            obj=obj,
            reason="read-only access",
        )
        raise PermissionDenied("You can read this record but not change it.")
    record_access(
        action=AccessAction.VIEW,
        request=request,
        actor=user,
        obj=obj,
        reason=purpose or ("opened to change" if level is Access.WRITE else ""),
    )
    return obj


def require_role(*, user, roles: Iterable[str], request=None, object_type: str = "", object_id="") -> None:
    """Raise Http404 (and record the refusal) unless `user` holds one of `roles`.

    Used for whole areas held by one agency (police intelligence) where there is no per-record
    sharing: to anyone else the area does not exist.
    """
    if user.is_authenticated and user.is_active and user.role in set(roles):
        return
    record_access(
        action=AccessAction.REFUSED,
        request=request,
        actor=user if user.is_authenticated else None,
        object_type=object_type,
        object_id=str(object_id),
        reason="role may not use this area",
    )
    raise Http404


def get_in_area(
    *,
    user,
    roles: Iterable[str],
    queryset: models.QuerySet[_M],
    request=None,
    object_type: str = "",
    object_id="",
    record: bool = True,
    action: AccessAction | str = AccessAction.VIEW,
    reason: str = "",
    **lookup,
) -> _M:
    """Fetch one object of an area held by role (see `require_role`), recording the access.

    `lookup` selects the object in `queryset`. Anyone without the role, and anyone asking for
    something that does not exist, gets the same Http404; both refusals are recorded. With
    `record`, a successful fetch is recorded as `action` (a view by default).
    """
    label = object_type or queryset.model._meta.label_lower
    require_role(user=user, roles=roles, request=request, object_type=label, object_id=object_id)
    obj = queryset.filter(**lookup).first()
    if obj is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            actor=user,
            object_type=label,
            object_id=str(object_id),
            reason="not found",
        )
        raise Http404
    if record:
        record_access(
            action=action,
            request=request,
            actor=user,
            obj=obj,
            object_type=label,
            object_id=str(object_id) if object_type else "",
            reason=reason,
        )
    return obj


def _grantee(agency, user):
    if (agency is None) == (user is None):
        raise ValueError("Share with exactly one of an agency or a user.")
    return agency.group if agency is not None else user


@transaction.atomic
def access_grant(
    *, actor, target, level: Access, agency=None, user=None, request=None, purpose: str = "", justification: str = ""
) -> int:
    """Share `target` (one object or a queryset) with an agency or a user.

    Bulk grants go through guardian's queryset path, which django-auditlog cannot see, so one
    access event records the whole grant with the ids. Returns the number of objects.
    """
    grantee = _grantee(agency, user)
    objects = list(target) if isinstance(target, models.QuerySet) else [target]
    if not objects:
        return 0
    model = type(objects[0])
    for access_level in _perms_for(level):
        assign_perm(_perm(model, access_level), grantee, target)
    record_access(
        action=AccessAction.GRANT,
        request=request,
        actor=actor,
        obj=objects[0] if len(objects) == 1 else None,
        object_type=model._meta.label_lower,
        object_id=str(objects[0].pk) if len(objects) == 1 else "",
        reason=f"{level.name.lower()} to {'agency ' + str(agency) if agency else 'user ' + user.get_username()}",
        recipients=[{"agency": str(agency)} if agency else {"user": user.get_username(), "agency": str(user.agency)}],
        purpose=purpose,
        detail={"ids": [str(o.pk) for o in objects], "level": level.name.lower(), "justification": justification},
    )
    return len(objects)


@transaction.atomic
def access_revoke(
    *, actor, target: models.Model, agency=None, user=None, level: Access = Access.READ, request=None
) -> None:
    """Withdraw access. Revoking READ removes WRITE too; revoking WRITE leaves READ."""
    grantee = _grantee(agency, user)
    model = type(target)
    revoked = (Access.WRITE,) if level is Access.WRITE else (Access.READ, Access.WRITE)
    for access_level in revoked:
        remove_perm(_perm(model, access_level), grantee, target)
    record_access(
        action=AccessAction.REVOKE,
        request=request,
        actor=actor,
        obj=target,
        reason=f"{level.name.lower()} from {'agency ' + str(agency) if agency else 'user ' + user.get_username()}",
        detail={"level": level.name.lower()},
    )


def shares_of(target: models.Model) -> list[dict]:
    """Who holds access to `target`, for the sharing page: agency or user, and the level."""
    from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    rows: dict[tuple[str, int], dict] = {}
    group_model = get_group_obj_perms_model(target)
    # guardian annotates both as any model; they are its permission models, generic or with a
    # direct foreign key. Each concrete one declares `content_object`, which the bases do not, so
    # the type checker cannot resolve that lookup.
    assert issubclass(group_model, GroupObjectPermissionBase)
    group_perms = group_model.objects.filter(content_object=target)  # type: ignore[misc]
    for group_perm in group_perms.select_related("group__agency", "permission"):
        agency = getattr(group_perm.group, "agency", None)
        key = ("agency", group_perm.group_id)
        row = rows.setdefault(key, {"kind": "agency", "agency": agency, "user": None, "level": "read"})
        if group_perm.permission.codename.startswith("change_"):
            row["level"] = "write"
    user_model = get_user_obj_perms_model(target)
    assert issubclass(user_model, UserObjectPermissionBase)
    user_perms = user_model.objects.filter(content_object=target)  # type: ignore[misc]
    for user_perm in user_perms.select_related("user", "permission"):
        key = ("user", user_perm.user_id)
        row = rows.setdefault(key, {"kind": "user", "agency": None, "user": user_perm.user, "level": "read"})
        if user_perm.permission.codename.startswith("change_"):
            row["level"] = "write"
    return sorted(rows.values(), key=lambda r: (r["kind"], str(r["agency"] or r["user"])))
