from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.access import Access, require_role, shares_of
from portal.accounts.models import Agency
from portal.accounts.roles import POLICE_DATA_ROLES
from portal.audit.models import AccessAction
from portal.audit.services import record_access
from portal.text import clean_query

from . import services
from .forms import CaseForm, CaseSummaryForm, ConsentForm, ConsentWithdrawForm, ShareForm
from .selectors import case_get_for_user, case_list_for_user, record_case_list


@login_required
@require_safe
def case_list(request):
    query = clean_query(request.GET.get("q", ""))
    cases = case_list_for_user(user=request.user, query=query, request=request)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    record_case_list(user=request.user, query=query, shown=len(page.object_list), request=request)
    return render(request, "safeguarding/case_list.html", {"page": page, "q": query})


@login_required
@require_safe
def case_detail(request, case_id: int):
    case = case_get_for_user(user=request.user, case_id=case_id, request=request)
    return render(request, "safeguarding/case_detail.html", {"case": case})


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
