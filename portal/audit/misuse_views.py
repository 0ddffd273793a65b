"""The misuse pages: alerts (list, detail with the review form), the rules' settings, the report
by rule, agency and outcome (with its CSV export), and the subject markers. Auditors only (the
markers page also for intelligence supervisors, who set them); everything shown is recorded."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.access import require_role
from portal.accounts.roles import AUDIT_ROLES, role_has

from .alerts import (
    MARKER_ROLES,
    alert_report,
    alert_review,
    allowed_moves,
    subject_marker_remove,
    subject_marker_set,
)
from .forms import AlertFilterForm, MarkerForm, MarkerRemoveForm, ReportForm, ReviewForm, RuleForm
from .misuse import rule_configure, rules
from .models import AccessAction, Alert, AlertKind, SubjectMarker
from .relationships import PERSON_TYPES
from .reports import subject_label
from .services import Shown, record_access

ALERT = "audit.alert"
PAGE_SIZE = 50


def _auditor(request, object_type: str = ALERT, object_id="") -> None:
    require_role(user=request.user, roles=AUDIT_ROLES, request=request, object_type=object_type, object_id=object_id)


def _messages(error: ValidationError) -> list[str]:
    return [message for messages in error.message_dict.values() for message in messages]


def _shown(alerts) -> list[Shown]:
    """The alerts and the people they name (so "who has seen this child" finds the auditor)."""
    shown: list[Shown] = []
    for alert in alerts:
        shown.append(alert)
        if alert.subject_type in PERSON_TYPES and alert.subject_id:
            shown.append((alert.subject_type, alert.subject_id))
    return shown


@login_required
@require_safe
def alert_list(request):
    """Misuse and account alerts, newest first, filtered by status, rule, agency and user."""
    _auditor(request)
    form = AlertFilterForm(request.GET)
    alerts = Alert.objects.all()
    query = ""
    if form.is_valid():
        data = form.cleaned_data
        query = form.as_query()
        if data["status"]:
            alerts = alerts.filter(status=data["status"])
        if data["rule"]:
            alerts = alerts.filter(rule=data["rule"])
        if data["agency"]:
            alerts = alerts.filter(actor_agency__icontains=data["agency"])
        if data["user"]:
            alerts = alerts.filter(actor_username__iexact=data["user"])
    else:
        alerts = alerts.none()
    page = Paginator(alerts.order_by("-raised_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    record_access(
        action=AccessAction.SEARCH if query else AccessAction.LIST,
        request=request,
        object_type=ALERT,
        query=query,
        result_count=len(page.object_list),
        shown=_shown(page.object_list),
        reason="auditor: alerts",
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/misuse/alert_list.html",
        {"form": form, "page": page, "query": params.urlencode()},
        status=200 if form.is_valid() else 400,
    )


def _alert_or_404(request, alert_id: int) -> Alert:
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type=ALERT,
            object_id=str(alert_id),
            reason="no such alert",
        )
        raise Http404
    return alert


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def alert_detail(request, alert_id: int):
    """One alert: the events behind it, what was looked for, the review notes and the review form."""
    _auditor(request, ALERT, alert_id)
    alert = _alert_or_404(request, alert_id)
    form = ReviewForm(request.POST if request.method == "POST" else None)
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            try:
                alert_review(
                    actor=request.user,
                    alert=alert,
                    to=form.cleaned_data["to"],
                    note=form.cleaned_data["note"],
                    request=request,
                )
                return redirect("audit:alert_detail", alert_id=alert.pk)
            except ValidationError as error:
                errors = _messages(error)
    events = list(alert.events.order_by("at", "id"))
    if alert.event_id and alert.event_id not in {event.pk for event in events}:
        events.insert(0, alert.event)  # type: ignore[arg-type]
    record_access(
        action=AccessAction.VIEW,
        request=request,
        obj=alert,
        shown=_shown([alert]),
        result_count=len(events),
        reason="auditor: alert",
    )
    return render(
        request,
        "audit/misuse/alert_detail.html",
        {
            "alert": alert,
            "events": events,
            "notes": alert.notes.select_related("author"),
            "form": form,
            "errors": errors,
            "moves": allowed_moves(alert),
            "subject": subject_label(alert.subject_type, alert.subject_id)
            if alert.subject_type in PERSON_TYPES
            else "",
            "is_misuse": alert.kind == AlertKind.MISUSE,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def rule_list(request):
    """The rules with their switches and thresholds; a POST changes one rule (named by `code`)."""
    _auditor(request, "audit.misuserule")
    all_rules = rules()
    changed = None
    status = 200
    forms_by_code = {code: RuleForm(rule=rule) for code, rule in all_rules.items()}
    if request.method == "POST":
        code = request.POST.get("code", "")
        rule = all_rules.get(code)
        if rule is None:
            status = 400
        else:
            form = RuleForm(request.POST, rule=rule, initial={})
            forms_by_code[code] = form
            if form.is_valid():
                rule_configure(
                    actor=request.user,
                    rule=rule,
                    enabled=form.cleaned_data["enabled"],
                    params=form.cleaned_data["params"],
                    request=request,
                )
                return redirect(f"{request.path}?changed={code}")
            status = 400
    else:
        changed = all_rules.get(request.GET.get("changed", ""))
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type="audit.misuserule",
        result_count=len(all_rules),
        shown=list(all_rules.values()),
        reason="auditor: misuse rules",
    )
    return render(
        request,
        "audit/misuse/rule_list.html",
        {"rules": [(all_rules[code], form) for code, form in forms_by_code.items()], "changed": changed},
        status=status,
    )


@login_required
@require_safe
def report(request):
    """Alerts counted by rule, agency and outcome over a period; `?format=csv` downloads it."""
    _auditor(request)
    form = ReportForm(request.GET or {})
    if not form.is_valid():
        record_access(
            action=AccessAction.LIST, request=request, object_type=ALERT, result_count=0, reason="auditor: alert report"
        )
        return render(request, "audit/misuse/report.html", {"form": form}, status=400)
    start, end = form.period()
    counts = alert_report(start, end)
    period = {"start": start.isoformat(), "end": end.isoformat()}
    if request.GET.get("format") == "csv":
        record_access(
            action=AccessAction.EXPORT,
            request=request,
            object_type=ALERT,
            result_count=counts.total,
            reason="auditor: alert report CSV",
            detail={**period, "rows": len(counts.rows)},
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["rule", "agency", "outcome", "alerts"])
        writer.writerows(counts.rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="misuse-alerts-{start}-{end}.csv"'
        return response
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type=ALERT,
        result_count=counts.total,
        reason="auditor: alert report",
        detail=period,
    )
    params = request.GET.copy()
    params["format"] = "csv"
    return render(
        request, "audit/misuse/report.html", {"form": form, "report": counts, "csv_query": params.urlencode()}
    )


def _marker_reader(request, object_id="") -> None:
    require_role(
        user=request.user,
        roles=AUDIT_ROLES | MARKER_ROLES,
        request=request,
        object_type="audit.subjectmarker",
        object_id=object_id,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def marker_list(request):
    """The people marked high-profile or sensitive; a supervisor's POST adds one."""
    _marker_reader(request)
    form = MarkerForm(request.POST if request.method == "POST" else None)
    errors: list[str] = []
    if request.method == "POST":
        if not role_has(request.user, MARKER_ROLES):
            record_access(
                action=AccessAction.REFUSED,
                request=request,
                object_type="audit.subjectmarker",
                reason="only an intelligence supervisor marks people",
            )
            raise PermissionDenied("Only an intelligence supervisor marks people.")
        if form.is_valid():
            try:
                subject_marker_set(actor=request.user, request=request, **form.cleaned_data)
                return redirect("audit:marker_list")
            except ValidationError as error:
                errors = _messages(error)
    markers = list(SubjectMarker.objects.select_related("set_by", "removed_by").order_by("-set_at", "-id")[:500])
    for marker in markers:
        marker.label = subject_label(marker.subject_type, marker.subject_id) or marker.subject_id  # type: ignore[attr-defined]
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type="audit.subjectmarker",
        result_count=len(markers),
        shown=[*markers, *[(m.subject_type, m.subject_id) for m in markers]],
        reason="subject markers",
    )
    return render(
        request,
        "audit/misuse/marker_list.html",
        {
            "markers": markers,
            "form": form,
            "errors": errors,
            "can_mark": role_has(request.user, MARKER_ROLES),
            "remove_form": MarkerRemoveForm(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def marker_remove(request, marker_id: int):
    """A supervisor removes a marker, saying why."""
    require_role(
        user=request.user, roles=MARKER_ROLES, request=request, object_type="audit.subjectmarker", object_id=marker_id
    )
    marker = SubjectMarker.objects.filter(pk=marker_id).first()
    if marker is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type="audit.subjectmarker",
            object_id=str(marker_id),
            reason="no such marker",
        )
        raise Http404
    form = MarkerRemoveForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        try:
            subject_marker_remove(
                actor=request.user, marker=marker, reason=form.cleaned_data["reason"], request=request
            )
            return redirect("audit:marker_list")
        except ValidationError as error:
            errors = _messages(error)
    else:
        errors = [str(message) for messages in form.errors.values() for message in messages]
    return render(request, "audit/misuse/marker_error.html", {"errors": errors}, status=400)
