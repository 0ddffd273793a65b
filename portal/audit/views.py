"""The auditor's workspace: the trail searched, a subject's timeline, a user's activity, the
subject access report; and the purpose page everyone meets when they open a record their work
does not explain. Everything an auditor looks at or exports is itself recorded."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.access import require_role
from portal.accounts.roles import AUDIT_ROLES

from .models import AccessAction
from .purpose import purpose_record, readable, safe_next
from .relationships import CASE, NOMINAL, NOMINAL_IN_RUN, PERSON_TYPES
from .reports import subject_access_report_pdf, subject_label
from .search import TrailFilters, search_events, subject_timeline, user_activity
from .services import record_access
from .trail_forms import DisclosureForm, PeriodForm, PurposeForm, TrailSearchForm

TRAIL = "audit.accessevent"


def _auditor(request, object_type: str = TRAIL, object_id="") -> None:
    require_role(user=request.user, roles=AUDIT_ROLES, request=request, object_type=object_type, object_id=object_id)


def _with_links(events) -> list:
    """Each event with the timeline of the person it names, if it names one."""
    for event in events:
        kind, key = event.object_type, event.object_id
        if kind == NOMINAL_IN_RUN:
            kind, key = NOMINAL, key.partition("/")[2]
        event.timeline = (kind, key) if kind in (CASE, NOMINAL) and key else None
    return events


def _messages(error: ValidationError) -> list[str]:
    return [message for messages in error.message_dict.values() for message in messages]


@login_required
@require_safe
def event_list(request):
    """The whole trail, searched by any combination of filters, one keyset page at a time."""
    _auditor(request)
    form = TrailSearchForm(request.GET)
    page, errors, query = None, [], ""
    if form.is_valid():
        filters = form.filters()
        query = filters.as_query()
        try:
            page = search_events(filters, cursor=request.GET.get("cursor", ""))
            _with_links(page.events)
        except ValidationError as error:
            errors = _messages(error)
    record_access(
        action=AccessAction.SEARCH if query else AccessAction.LIST,
        request=request,
        object_type=TRAIL,
        query=query,
        result_count=len(page.events) if page is not None else 0,
        reason="auditor: trail search",
    )
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "page": page,
            "errors": errors,
            "person_types": PERSON_TYPES,
            "next_query": f"{params.urlencode()}&cursor={page.next_cursor}" if page and page.next_cursor else "",
        },
        status=400 if errors or not form.is_valid() else 200,
    )


def _subject_or_404(request, subject_type: str, subject_id: str) -> str:
    label = subject_label(subject_type, subject_id)
    if subject_type not in PERSON_TYPES or label is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type=subject_type[:64],
            object_id=subject_id[:64],
            reason="no such subject",
        )
        raise Http404
    return label


@login_required
@require_safe
def subject_detail(request, subject_type: str, subject_id: str):
    """Who has seen this person: every access, in date order."""
    _auditor(request, subject_type, subject_id)
    label = _subject_or_404(request, subject_type, subject_id)
    try:
        page = subject_timeline(subject_type, subject_id, cursor=request.GET.get("cursor", ""))
    except ValidationError as error:
        return render(request, "400.html", {"errors": _messages(error)}, status=400)
    record_access(
        action=AccessAction.VIEW,
        request=request,
        object_type=subject_type,
        object_id=subject_id,
        shown=[(subject_type, subject_id)],
        result_count=len(page.events),
        reason="auditor: subject timeline",
    )
    return render(
        request,
        "audit/subject_detail.html",
        {"label": label, "page": page, "subject_type": subject_type, "subject_id": subject_id},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def subject_report(request, subject_type: str, subject_id: str):
    """The subject access report: every access to one person's data, as a watermarked PDF.
    A disclosure, so it asks who it is for and why, and is recorded as an export."""
    _auditor(request, subject_type, subject_id)
    label = _subject_or_404(request, subject_type, subject_id)
    form = DisclosureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["purpose"]
        document, event_count = subject_access_report_pdf(
            user=request.user,
            subject_type=subject_type,
            subject_id=subject_id,
            label=label,
            recipient=form.cleaned_data["recipient"],
            made_at=timezone.now(),
        )
        record_access(
            action=AccessAction.EXPORT,
            request=request,
            object_type=subject_type,
            object_id=subject_id,
            shown=[(subject_type, subject_id)],
            result_count=event_count,
            purpose=reason.code,
            reason=form.cleaned_data["justification"],
            recipients=[{"recipient": form.cleaned_data["recipient"]}],
            detail={"report": "subject access", "sha256": document.sha256},
        )
        response = HttpResponse(document.content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="subject-access-{subject_id.replace("/", "-")}.pdf"'
        return response
    record_access(
        action=AccessAction.VIEW,
        request=request,
        object_type=subject_type,
        object_id=subject_id,
        shown=[(subject_type, subject_id)],
        reason="auditor: subject access report form",
    )
    return render(
        request,
        "audit/subject_report.html",
        {"label": label, "form": form, "subject_type": subject_type, "subject_id": subject_id},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def user_detail(request, user_id: int):
    """One user's activity over a period, beside their peers'."""
    _auditor(request, "accounts.user", user_id)
    person = get_user_model().objects.select_related("agency").filter(pk=user_id).first()
    if person is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type="accounts.user",
            object_id=str(user_id),
            reason="no such user",
        )
        raise Http404
    form = PeriodForm(request.GET or {})
    if not form.is_valid():
        return render(request, "audit/user_detail.html", {"person": person, "form": form}, status=400)
    start, end = form.period()
    activity = user_activity(person, start=start, end=end)
    recent = search_events(TrailFilters(user=person.username), limit=50)
    _with_links(recent.events)
    record_access(
        action=AccessAction.VIEW,
        request=request,
        obj=person,
        result_count=activity.total,
        reason="auditor: user activity",
        detail={"start": start.isoformat(), "end": end.isoformat()},
    )
    peak = max([1, *[max(mine, peers) for _, mine, peers in activity.by_day]])
    return render(
        request,
        "audit/user_detail.html",
        {"person": person, "form": form, "activity": activity, "recent": recent, "peak": peak},
    )


@login_required
@require_POST
def purpose_give(request):
    """The purpose page's answer: recorded on the trail (with an alert), then back to the record."""
    subject_type = request.POST.get("subject_type", "")[:64]
    subject_id = request.POST.get("subject_id", "")[:64]
    if not readable(request.user, subject_type, subject_id):
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type=subject_type,
            object_id=subject_id,
            reason="purpose given for a record the user may not read",
        )
        raise Http404
    form = PurposeForm(request.POST)
    target = safe_next(request, request.POST.get("next", ""))
    if not form.is_valid():
        return render(
            request,
            "audit/purpose.html",
            {"form": form, "subject_type": subject_type, "subject_id": subject_id, "next": target, "looked_for": []},
            status=400,
        )
    purpose_record(
        request=request,
        subject_type=subject_type,
        subject_id=subject_id,
        label=f"{subject_type} {subject_id}",
        purpose=form.cleaned_data["purpose"].code,
        justification=form.cleaned_data["justification"],
    )
    return redirect(target)
