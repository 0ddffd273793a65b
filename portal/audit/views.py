from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from portal.access import require_role
from portal.accounts.roles import AUDIT_ROLES
from portal.text import clean_query

from .models import AccessAction, AccessEvent
from .services import record_access


@login_required
@require_safe
def event_list(request):
    """The access trail, newest first. Auditors' own reads of it are audited too."""
    require_role(user=request.user, roles=AUDIT_ROLES, request=request, object_type="audit.accessevent")
    events = AccessEvent.objects.all()
    username = clean_query(request.GET.get("user", ""), max_length=150)
    action = request.GET.get("action", "")
    if username:
        events = events.filter(actor_username__iexact=username)
    if action in AccessAction.values:
        events = events.filter(action=action)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in (("user", username), ("action", action)) if v)
    record_access(
        action=AccessAction.SEARCH if query else AccessAction.LIST,
        request=request,
        object_type="audit.accessevent",
        query=query,
        result_count=len(page.object_list),
    )
    return render(
        request,
        "audit/event_list.html",
        {"page": page, "actions": AccessAction.choices, "user_filter": username, "action_filter": action},
    )
