from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.access import Access, objects_for_user, require_role, shares_of
from portal.accounts.models import Agency, AgencyKind
from portal.accounts.roles import POLICE_DATA_ROLES
from portal.audit.models import AccessAction
from portal.audit.services import record_access
from portal.text import clean_query

from . import pathway, services
from .forms import (
    CaseForm,
    CaseSummaryForm,
    ConsentForm,
    ConsentWithdrawForm,
    ScreeningForm,
    ShareForm,
    step_form_class,
    step_label,
)
from .models import Case, CaseState, RiskLevel
from .screening import HIGH_FROM, MAXIMUM_SCORE, MEDIUM_FROM
from .selectors import (
    case_chronology,
    case_get_for_user,
    case_list_for_user,
    dashboard_for_user,
    notifications_for_user,
    record_case_list,
    record_notification_list,
)


@login_required
@require_safe
def case_list(request):
    query = clean_query(request.GET.get("q", ""))
    cases = case_list_for_user(user=request.user, query=query, request=request)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    record_case_list(
        user=request.user,
        query=query,
        shown=len(page.object_list),
        ids=[case.pk for case in page.object_list],
        request=request,
    )
    return render(request, "safeguarding/case_list.html", {"page": page, "q": query})


def _is_police(user) -> bool:
    return user.agency.kind == AgencyKind.POLICE_FORCE


def _may_write(user, case: Case) -> bool:
    return objects_for_user(user, Case.objects.filter(pk=case.pk), Access.WRITE).exists()


@login_required
@require_safe
def case_detail(request, case_id: int):
    """The case and its pathway. A partner reads the concern, the summary and the pathway; the
    police also see the intelligence behind the case (the runs that found the person and why)."""
    case = case_get_for_user(user=request.user, case_id=case_id, request=request)
    police = _is_police(request.user)
    may_write = _may_write(request.user, case)
    steps = []
    if may_write:
        for to in pathway.allowed_targets(case):
            step = pathway.step_for(case.state, to)
            if step is not None and pathway.may_take(step, request.user, case):
                steps.append({"to": to, "label": step_label(case.state, to)})
    context = {
        "case": case,
        "police": police,
        "may_write": may_write,
        "may_open_intelligence": request.user.role in POLICE_DATA_ROLES,
        "steps": steps,
        "chronology": case_chronology(case, police=police),
    }
    return render(request, "safeguarding/case_detail.html", context)


def _refuse_step(request, case: Case, reason: str) -> None:
    record_access(
        action=AccessAction.REFUSED,
        request=request,
        object_type="safeguarding.case",
        object_id=str(case.pk),
        reason=reason[:500],
    )


def _step_or_refusal(request, case: Case, to: str) -> tuple[pathway.Step | None, str]:
    """The step from the case's state to `to` if the user may take it, checked in the order
    pathway.case_transition checks (role before state, so a role that could never take the step
    learns nothing of where the case is): Http404 when no step leads to `to`, PermissionDenied
    for a role, agency or read-only access that may not take it, and (None, why) when the case
    is not where the step starts. Every refusal is recorded. case_transition checks it all
    again under the row lock."""
    user = request.user
    candidates = pathway.steps_to(to) if to in CaseState.values else []
    if not candidates:
        _refuse_step(request, case, f"no pathway step to {to!r}")
        raise Http404
    target = CaseState(to).label.lower()
    if not any(pathway.may_take(candidate, user, case) for candidate in candidates):
        _refuse_step(request, case, f"{user.get_role_display()} may not move a case to {to}")
        raise PermissionDenied(f"Your role or agency cannot move this case to {target}.")
    if not _may_write(user, case):
        _refuse_step(request, case, "read-only access")
        raise PermissionDenied("You can read this case but not change it.")
    step = pathway.step_for(case.state, to)
    if step is None:
        why = f"This case is at {CaseState(case.state).label.lower()}; it cannot move to {target} from there."
        _refuse_step(request, case, f"{to}: {why}")
        return None, why
    if not pathway.may_take(step, user, case):
        _refuse_step(request, case, f"{user.get_role_display()} may not take the {step.name} step")
        raise PermissionDenied(f"Your role or agency cannot take the {step.name} step.")
    return step, ""


def _not_from_here(request, case: Case, to: str, why: str):
    """A step the case cannot take from where it is (409): say so, change nothing."""
    messages.error(request, why)
    context = {"case": case, "form": None, "title": f"Move {case.reference} to {CaseState(to).label.lower()}"}
    return render(request, "safeguarding/case_step.html", context, status=409)


def _screening_route(form: ScreeningForm, case: Case, to: str) -> dict:
    """The tool's score and suggested level once every indicator is answered, and where the
    chosen level takes the case when that is not `to` (recording then goes there)."""
    result: dict = {"high_from": HIGH_FROM, "medium_from": MEDIUM_FROM, "maximum": MAXIMUM_SCORE}
    answered = getattr(form, "cleaned_data", None) and all(
        name in form.cleaned_data for name in form.fields if name.startswith("answer_")
    )
    if not answered:
        return result
    score, suggested = form.score()
    level = form.cleaned_data.get("risk_level") or suggested
    route = CaseState.STRATEGY_DISCUSSION if level == RiskLevel.HIGH else CaseState.CONTEXTUAL_MEETING
    result |= {"score": score, "suggested": RiskLevel(suggested).label.lower(), "level": RiskLevel(level).label.lower()}
    if route != to:
        result["route"] = CaseState(route).label.lower()
        result["action"] = reverse("safeguarding:case_step", args=[case.pk, route])
    return result


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_step(request, case_id: int, to: str):
    """The form of the step from the case's current state to `to`; a POST takes the step
    (pathway.case_transition). Refusals change nothing: 404, 403, 409 or the form's errors."""
    case = case_get_for_user(user=request.user, case_id=case_id, request=request)
    step, why = _step_or_refusal(request, case, to)
    if step is None:
        return _not_from_here(request, case, to, why)
    form = step_form_class(step.name, to)(request.POST if request.method == "POST" else None, case=case, to=to)
    if request.method == "POST" and form.is_valid() and request.POST.get("action") != "score":
        try:
            moved = pathway.case_transition(
                actor=request.user, case_id=case.pk, to=to, data=form.to_data(), request=request
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except pathway.TransitionNotAllowed as error:
            return _not_from_here(request, case, to, str(error))
        else:
            messages.success(request, f"{moved.reference} is now at {CaseState(moved.state).label.lower()}.")
            return redirect("safeguarding:case_detail", case_id=moved.pk)
    context = {
        "case": case,
        "form": form,
        "title": step_label(case.state, to),
        "step": step,
        "to": to,
        "screening": _screening_route(form, case, to) if isinstance(form, ScreeningForm) else None,
    }
    return render(request, "safeguarding/case_step.html", context)


@login_required
@require_safe
def dashboard(request):
    """What is due: the user's authority's, hub's or (supervisor) every case overdue or due
    today, by step, the count in each state and, for the police, the triage queue. The cases
    shown are recorded with their ids."""
    board = dashboard_for_user(user=request.user, request=request)
    record_case_list(user=request.user, query="", shown=len(board["ids"]), ids=board["ids"], request=request)
    return render(request, "safeguarding/dashboard.html", board)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notifications(request):
    """The signed-in person's own notifications, newest first. A POST marks one read (its id in
    `notification`) or, without one, all of them; anyone else's id is a 404."""
    mine = notifications_for_user(user=request.user)
    if request.method == "POST":
        chosen = str(request.POST.get("notification", "")).strip()
        if chosen:
            if not chosen.isdigit() or not mine.filter(pk=chosen).exists():
                record_access(
                    action=AccessAction.REFUSED,
                    request=request,
                    object_type="safeguarding.notification",
                    object_id=chosen[:64],
                    reason="not found or not the user's",
                )
                raise Http404
            mine = mine.filter(pk=chosen)
        # One scoped UPDATE of the user's own rows: nothing else to check, nothing to record.
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("safeguarding:notifications")
    page = Paginator(mine, 50).get_page(request.GET.get("page"))
    record_notification_list(
        user=request.user, ids=[notification.pk for notification in page.object_list], request=request
    )
    unread = mine.filter(read_at__isnull=True).exists()
    return render(request, "safeguarding/notifications.html", {"page": page, "any_unread": unread})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_create(request):
    require_role(user=request.user, roles=POLICE_DATA_ROLES, request=request, object_type="safeguarding.case")
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Case {case.reference} opened and shared with {case.local_authority}.")
            return redirect("safeguarding:case_detail", case_id=case.pk)
    return render(request, "safeguarding/case_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_edit(request, case_id: int):
    case = case_get_for_user(user=request.user, case_id=case_id, level=Access.WRITE, request=request)
    form = CaseSummaryForm(request.POST or None, initial={"summary": case.summary})
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(case=case, summary=form.cleaned_data["summary"])
        except ValidationError as error:
            form.add_error("summary" if "summary" in getattr(error, "message_dict", {}) else None, error)
        else:
            messages.success(request, "Case updated.")
            return redirect("safeguarding:case_detail", case_id=case.pk)
    return render(request, "safeguarding/case_edit.html", {"case": case, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_sharing(request, case_id: int):
    case = case_get_for_user(user=request.user, case_id=case_id, level=Access.WRITE, request=request)
    form = ShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_share(
                actor=request.user,
                case=case,
                agency=form.cleaned_data["agency"],
                level=form.access_level(),
                request=request,
                purpose=form.cleaned_data["purpose"].code,
                justification=form.cleaned_data["justification"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error.messages[0] if isinstance(error, ValidationError) else str(error))
        else:
            messages.success(request, f"Shared with {form.cleaned_data['agency']}.")
            return redirect("safeguarding:case_sharing", case_id=case.pk)
    return render(request, "safeguarding/case_sharing.html", {"case": case, "form": form, "shares": shares_of(case)})


@login_required
@require_POST
def case_unshare(request, case_id: int, agency_id: int):
    case = case_get_for_user(user=request.user, case_id=case_id, level=Access.WRITE, request=request)
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type="accounts.agency",
            object_id=str(agency_id),
            reason="revoke: no such agency",
        )
        raise Http404
    level = Access.WRITE if request.POST.get("level") == "write" else Access.READ
    try:
        services.case_unshare(actor=request.user, case=case, agency=agency, level=level, request=request)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{agency} no longer has {level.name.lower()} access.")
    return redirect("safeguarding:case_sharing", case_id=case.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_consent(request, case_id: int):
    """A vulnerable adult's consent: what is in force, record new consent, or withdraw it."""
    case = case_get_for_user(user=request.user, case_id=case_id, level=Access.WRITE, request=request)
    form = ConsentForm(request.POST or None) if request.POST.get("action") != "withdraw" else ConsentForm()
    withdraw_form = ConsentWithdrawForm(request.POST or None) if request.POST.get("action") == "withdraw" else None
    if request.method == "POST":
        try:
            if withdraw_form is not None:
                if withdraw_form.is_valid():
                    removed = services.case_withdraw_consent(
                        actor=request.user, case=case, note=withdraw_form.cleaned_data["note"], request=request
                    )
                    messages.success(
                        request, f"Consent withdrawn; {removed} partner agency(ies) no longer see this case."
                    )
                    return redirect("safeguarding:case_consent", case_id=case.pk)
            elif form.is_valid():
                services.case_record_consent(actor=request.user, case=case, request=request, **form.cleaned_data)
                messages.success(request, "Consent recorded. Share the case with the agencies it names.")
                return redirect("safeguarding:case_sharing", case_id=case.pk)
        except ValidationError as error:
            (withdraw_form or form).add_error(None, error)
    return render(
        request,
        "safeguarding/case_consent.html",
        {
            "case": case,
            "form": form,
            "withdraw_form": withdraw_form or ConsentWithdrawForm(),
            "in_force": services.consent_in_force(case),
            "history": case.consents.select_related("recorded_by", "withdrawn_by").prefetch_related("agencies"),
        },
    )
