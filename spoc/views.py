"""The SPoC workspace: requests and their steps, providers' responses, errors, dashboards and the
deal-line register. Thin: fetch through the selectors (404 outside the caller's scope, recorded),
one service call, render. Provider SPoCs get templates of their own, with nothing of the case."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.accounts.roles import COMMS_APPLICANT_ROLES, COMMS_POLICE_ROLES, Role, role_has
from portal.audit.models import AccessAction
from portal.audit.services import record_access

from . import metrics, services
from .forms import (
    ConfirmForm,
    DealLineForm,
    ErrorForm,
    ErrorReviewForm,
    LineStatusForm,
    PeriodForm,
    RequestForm,
    StepForm,
    UploadForm,
)
from .lines import groups_matching, latest_run
from .models import CommsError, CommsRequest, ProviderResponse, RequestState
from .selectors import (
    DEAL_LINE_TYPE,
    REQUEST_TYPE,
    deal_line_get_for_user,
    deal_lines_for_user,
    is_provider,
    record_request_list,
    request_get_for_user,
    requests_for_user,
    require_police_area,
    require_request_area,
)
from .transitions import LABELS, TransitionNotAllowed, allowed_steps, may_take, request_transition, steps_to

DASHBOARD_ROLES = frozenset(
    {Role.SPOC, Role.INTELLIGENCE_SUPERVISOR, Role.DESIGNATED_SENIOR_OFFICER, Role.SENIOR_RESPONSIBLE_OFFICER}
)
INSPECTION_ROLES = frozenset({Role.SPOC, Role.SENIOR_RESPONSIBLE_OFFICER})
ERROR_ROLES = frozenset({Role.SPOC, Role.SENIOR_RESPONSIBLE_OFFICER})


def _require(request, roles, object_type: str = REQUEST_TYPE) -> None:
    """404 (recorded) unless the user is a police member with one of `roles`."""
    require_police_area(user=request.user, request=request, object_type=object_type)
    if not role_has(request.user, roles):
        record_access(
            action=AccessAction.REFUSED, request=request, object_type=object_type, reason="role may not use this page"
        )
        raise Http404


def _forbid(request, req: CommsRequest, reason: str) -> None:
    record_access(
        action=AccessAction.REFUSED, request=request, object_type=REQUEST_TYPE, object_id=str(req.pk), reason=reason
    )
    raise PermissionDenied(reason[:1].upper() + reason[1:] + ".")


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


# --- requests -------------------------------------------------------------------------------------


@login_required
@require_safe
def workspace(request):
    """The requests the user may see, newest first; `?overdue=1` for those past their clock."""
    require_request_area(user=request.user, request=request)
    requests = requests_for_user(request.user).order_by("-created_at", "-pk")
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        requests = requests.filter(due_at__lt=timezone.now())
    state = request.GET.get("state", "")
    if state in RequestState.values:
        requests = requests.filter(state=state)
    page = Paginator(requests, 50).get_page(request.GET.get("page"))
    record_request_list(
        user=request.user, shown=list(page.object_list), request=request, query=request.GET.urlencode()[:500]
    )
    context = {
        "page": page,
        "overdue": overdue,
        "state": state,
        "states": RequestState.choices,
        "provider": is_provider(request.user),
        "may_apply": role_has(request.user, COMMS_APPLICANT_ROLES),
    }
    return render(request, "spoc/request_list.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_create(request):
    _require(request, COMMS_APPLICANT_ROLES)
    initial = {}
    line_id = request.GET.get("line", "")
    if line_id:
        line = deal_line_get_for_user(user=request.user, line_id=line_id, request=request)
        initial = {"deal_line": line.pk, "identifier": line.number, "category": "child_criminal_exploitation"}
    form = RequestForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            req = services.request_create(actor=request.user, data=form.cleaned_data, request=request)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{req.reference} is drafted; submit it to the SPoC when it is complete.")
            return redirect("spoc:request_detail", request_id=req.pk)
    return render(request, "spoc/request_form.html", {"form": form})


def _initial(req: CommsRequest) -> dict:
    """The form's values for an application being amended."""
    fields = dict(RequestForm.base_fields)
    initial = {name: getattr(req, name) for name in fields if name not in ("provider", "case", "nominal", "deal_line")}
    return initial | {
        "provider": req.provider.code,
        "case": req.case_id or "",
        "nominal": req.nominal_id or "",
        "deal_line": req.deal_line_id or "",
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_edit(request, request_id: int):
    """Amend a draft or returned application (its applicant only)."""
    req = request_get_for_user(user=request.user, request_id=request_id, request=request)
    if req.applicant_id != request.user.pk:
        _forbid(request, req, "only the applicant amends an application")
    if req.state not in services.EDITABLE_STATES:
        messages.error(request, f"{req.reference} is at {req.get_state_display().lower()}: it can no longer change.")
        return render(
            request, "spoc/request_step.html", {"req": req, "form": None, "title": f"Amend {req.reference}"}, status=409
        )
    form = RequestForm(request.POST if request.method == "POST" else None, initial=_initial(req))
    if request.method == "POST" and form.is_valid():
        try:
            req = services.request_update(
                actor=request.user, request_id=req.pk, data=form.cleaned_data, request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{req.reference} is amended; submit it to the SPoC when it is complete.")
            return redirect("spoc:request_detail", request_id=req.pk)
    return render(request, "spoc/request_form.html", {"form": form, "req": req})


@login_required
@require_safe
def request_detail(request, request_id: int):
    req = request_get_for_user(user=request.user, request_id=request_id, request=request)
    steps = [{"to": to, "label": LABELS[to]} for to in allowed_steps(request.user, req)]
    provider = is_provider(request.user)
    context = {
        "req": req,
        "may_amend": req.applicant_id == request.user.pk and req.state in services.EDITABLE_STATES,
        "steps": steps,
        "responses": list(req.responses.all()),
        "upload_form": UploadForm() if provider and req.state == RequestState.ACKNOWLEDGED else None,
    }
    if provider:
        return render(request, "spoc/provider_request_detail.html", context)
    context |= {
        "transitions": list(req.transitions.all()),
        "errors": list(req.errors.all()) if role_has(request.user, ERROR_ROLES) else [],
        "error_form": ErrorForm() if role_has(request.user, ERROR_ROLES) else None,
        "confirm_form": ConfirmForm()
        if request.user.role == Role.SPOC
        and req.authorisation_route == "urgent"
        and req.urgent_confirmed_at is None
        and req.is_open
        else None,
    }
    return render(request, "spoc/request_detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_step(request, request_id: int, to: str):
    """The form of the step to `to`; a POST takes it (spoc.transitions.request_transition).
    Checked in the lifecycle's order: scope (404), role (403), state (409)."""
    req = request_get_for_user(user=request.user, request_id=request_id, request=request)
    if to not in RequestState.values or not steps_to(to):
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type=REQUEST_TYPE,
            object_id=str(req.pk),
            reason=f"no step to {to!r}"[:500],
        )
        raise Http404
    if not any(may_take(step, request.user, req) for step in steps_to(to)):
        _forbid(request, req, f"your role cannot move this request to {RequestState(to).label.lower()}")
    title = f"{LABELS[to]}: {req.reference}"
    if to not in allowed_steps(request.user, req):
        why = f"This request is at {req.get_state_display().lower()}; it cannot move to {RequestState(to).label.lower()} from there."
        messages.error(request, why)
        return render(request, "spoc/request_step.html", {"req": req, "form": None, "title": title}, status=409)
    form = StepForm(request.POST if request.method == "POST" else None, to=to)
    if request.method == "POST" and form.is_valid():
        try:
            moved = request_transition(
                actor=request.user, request_id=req.pk, to=to, data=form.step_data(), request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        except TransitionNotAllowed as error:
            messages.error(request, str(error))
            return render(request, "spoc/request_step.html", {"req": req, "form": None, "title": title}, status=409)
        else:
            messages.success(request, f"{moved.reference} is now {moved.get_state_display().lower()}.")
            return redirect("spoc:request_detail", request_id=moved.pk)
    return render(request, "spoc/request_step.html", {"req": req, "form": form, "title": title, "to": to})


@login_required
@require_POST
def response_upload(request, request_id: int):
    req = request_get_for_user(user=request.user, request_id=request_id, request=request, record=False)
    if not (is_provider(request.user) and req.provider_id == request.user.agency_id):
        _forbid(request, req, "only the provider the request was sent to uploads its response")
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            response = services.provider_response_upload(
                actor=request.user, request_id=req.pk, upload=form.cleaned_data["file"], request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{response.original_name} uploaded (SHA-256 {response.sha256}).")
            return redirect("spoc:request_detail", request_id=req.pk)
    for problem in [*form.errors.get("file", []), *form.non_field_errors()]:
        messages.error(request, problem)
    return redirect("spoc:request_detail", request_id=req.pk)


@login_required
@require_safe
def response_download(request, response_id: int):
    """A provider's response file, to whoever may see its request; every download recorded."""
    response = ProviderResponse.objects.filter(pk=response_id).first() if str(response_id).isdigit() else None
    if response is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type="spoc.providerresponse",
            object_id=str(response_id),
            reason="not found",
        )
        raise Http404
    # The same 404 as for a missing file when the request is not the caller's to see.
    request_get_for_user(user=request.user, request_id=response.request_id, request=request, record=False)
    path = services.response_path(response)
    if not path.exists():
        raise Http404
    record_access(
        action=AccessAction.EXPORT,
        request=request,
        obj=response,
        reason=f"response downloaded for request {response.request_id}",
        detail={"request": response.request_id, "sha256": response.sha256},
        shown=[response.request],
    )
    answer = FileResponse(
        path.open("rb"), as_attachment=True, filename=response.original_name, content_type=response.content_type
    )
    answer["X-Content-Type-Options"] = "nosniff"
    answer["Cache-Control"] = "no-store"
    return answer


@login_required
@require_POST
def urgent_confirm(request, request_id: int):
    req = request_get_for_user(user=request.user, request_id=request_id, request=request, record=False)
    if request.user.role != Role.SPOC:
        _forbid(request, req, "only a SPoC records the OCDA's confirmation")
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.urgent_authorisation_confirm(
                actor=request.user,
                request_id=req.pk,
                reference=form.cleaned_data["reference"],
                decided_on=form.cleaned_data["decided_on"],
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{req.reference}: the urgent authorisation is confirmed.")
    else:
        messages.error(request, "Give the OCDA reference and the date of its confirmation.")
    return redirect("spoc:request_detail", request_id=req.pk)


@login_required
@require_POST
def error_create(request, request_id: int):
    req = request_get_for_user(user=request.user, request_id=request_id, request=request, record=False)
    if not role_has(request.user, ERROR_ROLES):
        _forbid(request, req, "only a SPoC or the senior responsible officer records an error")
    form = ErrorForm(request.POST)
    if form.is_valid():
        try:
            services.error_record(
                actor=request.user,
                request_id=req.pk,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "The error is recorded for the senior responsible officer's review.")
    else:
        messages.error(request, "Choose the kind of error and say what went wrong.")
    return redirect("spoc:request_detail", request_id=req.pk)


@login_required
@require_safe
def error_list(request):
    """The errors report: every error, recordable or reportable, with its review."""
    _require(request, ERROR_ROLES)
    errors = list(CommsError.objects.select_related("request", "recorded_by", "reviewed_by").order_by("-recorded_at"))
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type="spoc.commserror",
        result_count=len(errors),
        shown=errors,
    )
    review = request.user.role == Role.SENIOR_RESPONSIBLE_OFFICER
    return render(
        request, "spoc/error_list.html", {"errors": errors, "review_form": ErrorReviewForm() if review else None}
    )


@login_required
@require_POST
def error_review(request, error_id: int):
    _require(request, ERROR_ROLES, object_type="spoc.commserror")
    if request.user.role != Role.SENIOR_RESPONSIBLE_OFFICER:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type="spoc.commserror",
            object_id=str(error_id),
            reason="only the senior responsible officer reviews errors",
        )
        raise PermissionDenied("Only the senior responsible officer reviews errors.")
    form = ErrorReviewForm(request.POST)
    if form.is_valid():
        try:
            services.error_review(
                actor=request.user,
                error_id=error_id,
                review=form.cleaned_data["review"],
                reported_to_ipc_on=form.cleaned_data.get("reported_to_ipc_on"),
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "The review is recorded.")
    else:
        messages.error(request, "Write the review.")
    return redirect("spoc:error_list")


# --- dashboards -----------------------------------------------------------------------------------


def _period(request):
    """The period form and the period chosen (the last 28 days when none is given); None for
    the period when the dates given are not valid (the page says why, with a 400)."""
    form = PeriodForm(request.GET if ("start" in request.GET or "end" in request.GET) else None)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, form.period()


@login_required
@require_safe
def dashboard(request):
    """Providers' median and 90th-percentile hours to acknowledge and to fulfil, by provider and
    by category, for requests sent in the period, with the chart of the gap between categories."""
    _require(request, DASHBOARD_ROLES)
    form, period = _period(request)
    times = metrics.response_times(start=period[0], end=period[1]) if period else None
    overdue = list(requests_for_user(request.user).filter(due_at__lt=timezone.now()).order_by("due_at")[:50])
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type=REQUEST_TYPE,
        result_count=len(overdue),
        shown=overdue,
        reason="response-time dashboard",
    )
    context = {
        "form": form,
        "times": times,
        "chart": metrics.chart_data(times) if times else None,
        "overdue": overdue,
    }
    return render(request, "spoc/dashboard.html", context, status=200 if period else 400)


@login_required
@require_safe
def inspection(request):
    _require(request, INSPECTION_ROLES)
    form, period = _period(request)
    stats = metrics.inspection_statistics(start=period[0], end=period[1]) if period else None
    shown = stats["shown"] if stats else []
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type=REQUEST_TYPE,
        result_count=len(shown),
        shown=shown,
        reason="inspection statistics",
    )
    return render(request, "spoc/inspection.html", {"form": form, "stats": stats}, status=200 if period else 400)


@login_required
@require_safe
def inspection_csv(request):
    _require(request, INSPECTION_ROLES)
    form, period = _period(request)
    if period is None:
        return HttpResponse(
            "Give the period as start and end dates, YYYY-MM-DD.", status=400, content_type="text/plain"
        )
    stats = metrics.inspection_statistics(start=period[0], end=period[1])
    record_access(
        action=AccessAction.EXPORT,
        request=request,
        object_type=REQUEST_TYPE,
        result_count=len(stats["shown"]),
        shown=stats["shown"],
        reason=f"inspection statistics {period[0].isoformat()} to {period[1].isoformat()}",
    )
    out = io.StringIO()
    csv.writer(out).writerows(metrics.inspection_csv_rows(stats))
    answer = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="inspection-{period[0]}-{period[1]}.csv"'
    answer["X-Content-Type-Options"] = "nosniff"
    return answer


@login_required
@require_safe
def outcomes(request):
    _require(request, COMMS_POLICE_ROLES, object_type=DEAL_LINE_TYPE)
    form, period = _period(request)
    figures = metrics.outcomes(start=period[0], end=period[1]) if period else None
    lines = figures["lines"] if figures else []
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type=DEAL_LINE_TYPE,
        result_count=len(lines),
        shown=lines,
        reason="outcomes dashboard",
    )
    return render(request, "spoc/outcomes.html", {"form": form, "figures": figures}, status=200 if period else 400)


# --- deal lines -----------------------------------------------------------------------------------


def _may_edit_lines(user) -> bool:
    return role_has(user, services.LINE_EDITORS)


@login_required
@require_safe
def line_list(request):
    _require(request, COMMS_POLICE_ROLES, object_type=DEAL_LINE_TYPE)
    lines = list(deal_lines_for_user(request.user).order_by("-risk_score", "line_name"))
    record_access(
        action=AccessAction.LIST, request=request, object_type=DEAL_LINE_TYPE, result_count=len(lines), shown=lines
    )
    return render(
        request,
        "spoc/line_list.html",
        {"lines": lines, "may_edit": _may_edit_lines(request.user), "formula": services.risk_score.__doc__},
    )


def _line_form_page(request, line=None):
    if not _may_edit_lines(request.user):
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type=DEAL_LINE_TYPE,
            object_id=str(line.pk) if line else "",
            reason="role may not keep the register",
        )
        raise PermissionDenied("Analysts, intelligence supervisors and SPoCs keep the deal-line register.")
    initial = {field: getattr(line, field) for field in services.LINE_FIELDS} if line else None
    form = DealLineForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if line is None:
                line = services.deal_line_create(actor=request.user, data=form.cleaned_data, request=request)
            else:
                line = services.deal_line_update(actor=request.user, line=line, data=form.cleaned_data, request=request)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{line} saved: risk score {line.risk_score}.")
            return redirect("spoc:line_detail", line_id=line.pk)
    return render(request, "spoc/line_form.html", {"form": form, "line": line, "formula": services.risk_score.__doc__})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def line_create(request):
    _require(request, COMMS_POLICE_ROLES, object_type=DEAL_LINE_TYPE)
    return _line_form_page(request)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def line_edit(request, line_id: int):
    line = deal_line_get_for_user(user=request.user, line_id=line_id, request=request)
    return _line_form_page(request, line)


@login_required
@require_safe
def line_detail(request, line_id: int):
    """A line's page: its assessment and score, requests, people, cases, and the analysis groups
    of the latest run it matches."""
    line = deal_line_get_for_user(user=request.user, line_id=line_id, request=request)
    visible = requests_for_user(request.user).filter(deal_line=line).order_by("-created_at")
    run = latest_run()
    context = {
        "line": line,
        "requests": list(visible),
        "people": list(line.people.all()),
        "cases": list(line.cases.all()),
        "run": run,
        "groups": groups_matching(line, run),
        "may_edit": _may_edit_lines(request.user),
        "may_apply": role_has(request.user, COMMS_APPLICANT_ROLES),
        "may_open_intelligence": request.user.role in (Role.ANALYST, Role.INTELLIGENCE_SUPERVISOR),
        "status_form": LineStatusForm(initial={"status": line.status}),
        "formula": services.risk_score.__doc__,
    }
    return render(request, "spoc/line_detail.html", context)


@login_required
@require_POST
def line_status(request, line_id: int):
    line = deal_line_get_for_user(user=request.user, line_id=line_id, request=request)
    if not _may_edit_lines(request.user):
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type=DEAL_LINE_TYPE,
            object_id=str(line.pk),
            reason="role may not keep the register",
        )
        raise PermissionDenied("Analysts, intelligence supervisors and SPoCs keep the deal-line register.")
    form = LineStatusForm(request.POST)
    if form.is_valid():
        try:
            line = services.deal_line_status_set(
                actor=request.user,
                line=line,
                status=form.cleaned_data["status"],
                on=form.cleaned_data.get("on"),
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{line} is now {line.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose a status (active, disrupted or closed) and, if not today, a valid date.")
    return redirect("spoc:line_detail", line_id=line.pk)
