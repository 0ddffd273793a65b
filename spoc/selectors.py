"""Reads of the SPoC liaison, always scoped to the caller.

Who sees which communications-data request:
- police SPoCs: every request;
- the applicant (analyst or investigating officer): their own;
- a designated senior officer: the immediate (threat-to-life) requests past the draft, which
  they may authorise urgently, and those they authorised;
- the senior responsible officer: every request past the draft (oversight of errors);
- a provider SPoC: the requests addressed to their own company once sent, and only what a
  provider needs (serializers and templates of their own);
- anyone else: none. A request outside the caller's scope is a 404, the same as one that does
  not exist, and the refusal is recorded.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from portal.accounts.models import AgencyKind
from portal.accounts.roles import COMMS_POLICE_ROLES, Role, role_has
from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .models import PROVIDER_STATES, CommsRequest, DealLine, RequestState, Urgency

REQUEST_TYPE = "spoc.commsrequest"
DEAL_LINE_TYPE = "spoc.dealline"
# Who may use the deal-line register and the police dashboards.
DEAL_LINE_ROLES = COMMS_POLICE_ROLES


def is_provider(user) -> bool:
    return bool(
        role_has(user, frozenset({Role.PROVIDER_SPOC})) and user.agency.kind == AgencyKind.COMMUNICATIONS_PROVIDER
    )


# Roles with a view of communications-data requests (each scoped, see requests_for_user).
REQUEST_ROLES = frozenset(
    {
        Role.SPOC,
        Role.PROVIDER_SPOC,
        Role.ANALYST,
        Role.POLICE_SAFEGUARDING_OFFICER,
        Role.DESIGNATED_SENIOR_OFFICER,
        Role.SENIOR_RESPONSIBLE_OFFICER,
    }
)


def may_use_requests(user) -> bool:
    """True for the roles that have requests to see (a provider SPoC of a provider agency; the
    others in a police force)."""
    if not role_has(user, REQUEST_ROLES):
        return False
    if user.role == Role.PROVIDER_SPOC:
        return is_provider(user)
    return user.agency.kind == AgencyKind.POLICE_FORCE


def requests_for_user(user) -> QuerySet[CommsRequest]:
    requests = CommsRequest.objects.select_related("provider", "applicant", "deal_line")
    if not (user.is_authenticated and user.is_active):
        return requests.none()
    role = user.role
    if role == Role.PROVIDER_SPOC:
        if not is_provider(user):
            return requests.none()
        return requests.filter(provider_id=user.agency_id, state__in=PROVIDER_STATES, sent_at__isnull=False)
    if user.agency.kind != AgencyKind.POLICE_FORCE:
        return requests.none()
    if role == Role.SPOC:
        return requests
    if role in (Role.ANALYST, Role.POLICE_SAFEGUARDING_OFFICER):
        return requests.filter(applicant=user)
    if role == Role.DESIGNATED_SENIOR_OFFICER:
        return requests.filter(Q(urgency=Urgency.IMMEDIATE) & ~Q(state=RequestState.DRAFT) | Q(authorised_by=user))
    if role == Role.SENIOR_RESPONSIBLE_OFFICER:
        return requests.exclude(state=RequestState.DRAFT)
    return requests.none()


def request_get_for_user(*, user, request_id, request=None, record: bool = True) -> CommsRequest:
    """The request `request_id` if `user` may see it (recorded as a view), else Http404
    (recorded as a refusal): "not yours" and "does not exist" are the same answer."""
    found = requests_for_user(user).filter(pk=request_id).first() if str(request_id).isdigit() else None
    if found is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            actor=user if user.is_authenticated else None,
            object_type=REQUEST_TYPE,
            object_id=str(request_id)[:64],
            reason="not found or not addressed to you",
        )
        raise Http404
    if record:
        record_access(action=AccessAction.VIEW, request=request, actor=user, obj=found)
    return found


def record_request_list(*, user, shown: list[CommsRequest], request=None, query: str = "") -> None:
    record_access(
        action=AccessAction.LIST,
        request=request,
        actor=user,
        object_type=REQUEST_TYPE,
        query=query,
        result_count=len(shown),
        shown=shown,
    )


def deal_lines_for_user(user) -> QuerySet[DealLine]:
    if not (role_has(user, DEAL_LINE_ROLES) and user.agency.kind == AgencyKind.POLICE_FORCE):
        return DealLine.objects.none()
    return DealLine.objects.all()


def deal_line_get_for_user(*, user, line_id, request=None) -> DealLine:
    found = deal_lines_for_user(user).filter(pk=line_id).first() if str(line_id).isdigit() else None
    if found is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            actor=user if user.is_authenticated else None,
            object_type=DEAL_LINE_TYPE,
            object_id=str(line_id)[:64],
            reason="not found or not a police role",
        )
        raise Http404
    record_access(action=AccessAction.VIEW, request=request, actor=user, obj=found, shown=list(found.people.all()))
    return found


def require_police_area(*, user, request=None, object_type: str = REQUEST_TYPE) -> None:
    """404 (recorded) unless `user` is a police member of the communications-data roles."""
    if role_has(user, DEAL_LINE_ROLES) and user.agency.kind == AgencyKind.POLICE_FORCE:
        return
    record_access(
        action=AccessAction.REFUSED,
        request=request,
        actor=user if user.is_authenticated else None,
        object_type=object_type,
        reason="role may not use this area",
    )
    raise Http404


def require_request_area(*, user, request=None) -> None:
    """404 (recorded) unless `user` has communications-data requests to see (may_use_requests)."""
    if may_use_requests(user):
        return
    record_access(
        action=AccessAction.REFUSED,
        request=request,
        actor=user if user.is_authenticated else None,
        object_type=REQUEST_TYPE,
        reason="role has no communications-data requests",
    )
    raise Http404
