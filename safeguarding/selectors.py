"""Reads of safeguarding cases, scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.access import Access, get_object_for_user, objects_for_user, require_role
from portal.accounts.roles import CASE_ROLES
from portal.audit.models import AccessAction
from portal.audit.services import record_access
from portal.text import clean_query

from .models import Case


def case_list_for_user(*, user, query: str = "", request=None, via: str = "") -> QuerySet[Case]:
    """Cases shared with the user or their agency, optionally filtered. Records the list or
    search; the caller records nothing more."""
    require_role(user=user, roles=CASE_ROLES, request=request, object_type="safeguarding.case")
    cases = objects_for_user(user, Case.objects.select_related("local_authority"), Access.READ)
    query = clean_query(query)
    if query:
        cases = cases.filter(Q(reference__iexact=query) | Q(surname__icontains=query) | Q(forenames__icontains=query))
    return cases.order_by("-created_at", "-id")


def record_case_list(*, user, query: str, shown: int, request=None) -> None:
    query = clean_query(query)
    record_access(
        action=AccessAction.SEARCH if query else AccessAction.LIST,
        request=request,
        actor=user,
        object_type="safeguarding.case",
        query=query,
        result_count=shown,
    )


def case_get_for_user(*, user, case_id, level: Access = Access.READ, request=None) -> Case:
    """The case, if `user` may read it (404 otherwise) and, for WRITE, change it (403)."""
    require_role(user=user, roles=CASE_ROLES, request=request, object_type="safeguarding.case", object_id=case_id)
    return get_object_for_user(
        user=user,
        queryset=Case.objects.select_related("local_authority", "created_by"),
        pk=case_id,
        level=level,
        request=request,
    )
