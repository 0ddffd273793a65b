"""Reads of police records, always for a named user. Police intelligence is seen by the
force's intelligence roles only; to anyone else it does not exist (404)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.access import get_in_area, require_role
from portal.accounts.roles import POLICE_DATA_ROLES
from portal.audit.models import AccessAction
from portal.audit.purpose import require_purpose
from portal.audit.services import record_access
from portal.text import clean_query

from .models import ImportBatch, Nominal


def nominal_list_for_user(*, user, query: str = "", request=None, limit: int = 100) -> tuple[list[Nominal], int]:
    """Nominals matching `query` (id, surname or forenames), first `limit`, and the total.

    Records the list or search with the query and the number of rows shown.
    """
    require_role(user=user, roles=POLICE_DATA_ROLES, request=request, object_type="analytics.nominal")
    queryset: QuerySet[Nominal] = Nominal.objects.all()
    query = clean_query(query)
    if query:
        queryset = queryset.filter(
            Q(nominal_id__iexact=query) | Q(surname__icontains=query) | Q(forenames__icontains=query)
        )
    total = queryset.count()
    rows = list(queryset.order_by("surname", "forenames", "nominal_id")[:limit])
    record_access(
        action=AccessAction.SEARCH if query else AccessAction.LIST,
        request=request,
        actor=user,
        object_type="analytics.nominal",
        query=query,
        result_count=len(rows),
        shown=rows,
    )
    return rows, total


def nominal_get_for_user(*, user, nominal_id: str, request=None) -> Nominal:
    """The nominal, for police intelligence roles (404 otherwise); opened with no workflow
    relationship, the purpose first (portal/audit/purpose.py)."""
    purpose = require_purpose(request, user=user, subject_type="analytics.nominal", subject_id=str(nominal_id))
    return get_in_area(
        user=user,
        roles=POLICE_DATA_ROLES,
        queryset=Nominal.objects.all(),
        request=request,
        object_id=nominal_id,
        reason=purpose,
        pk=nominal_id,
    )


def nominal_records(nominal: Nominal) -> QuerySet:
    return nominal.record_links.select_related("record").order_by("-record__recorded_at", "record_id")


def import_list_for_user(*, user, request=None, limit: int = 50) -> list[ImportBatch]:
    require_role(user=user, roles=POLICE_DATA_ROLES, request=request, object_type="analytics.importbatch")
    batches = list(ImportBatch.objects.select_related("imported_by", "harm_table")[:limit])
    record_access(
        action=AccessAction.LIST,
        request=request,
        actor=user,
        object_type="analytics.importbatch",
        result_count=len(batches),
    )
    return batches


def import_get_for_user(*, user, batch_id: int, request=None, record: bool = True) -> ImportBatch:
    return get_in_area(
        user=user,
        roles=POLICE_DATA_ROLES,
        queryset=ImportBatch.objects.select_related("imported_by", "harm_table"),
        request=request,
        object_id=batch_id,
        record=record,
        pk=batch_id,
    )
