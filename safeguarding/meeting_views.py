"""Pages for the meetings (contextual safeguarding meeting, disruption panel and its pack) and a
case's NRM referral and linked investigations. Each translates the request, makes its domain
calls (the fetch that authorises, then one read or write) and translates back; the rules live
in meetings.py and records.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_safe

from portal.access import Access

from . import meetings, records
from .forms_records import (
    InvestigationForm,
    MeetingDayForm,
    NrmDecisionForm,
    NrmRecordForm,
    add_service_errors,
)
from .selectors import case_get_for_user

MEETINGS = {
    "contextual": ("Contextual safeguarding meeting", meetings.contextual_meeting_agenda),
    "panel": ("Disruption panel", meetings.disruption_panel_list),
}


def _meeting_choice(request):
    """(form, authority, day) from the query string. The authority is None while someone outside
    a local authority has not chosen one; authority and day are None when the day is bad."""
    authority = meetings.meeting_authority_for_user(
        user=request.user, code=request.GET.get("authority", "").strip(), request=request
    )
    form = MeetingDayForm(
        request.GET or None,
        initial={"day": timezone.localdate()},
        choose_authority=meetings.chooses_authority(request.user),
    )
    if request.GET and not form.is_valid():
        return form, None, None
    day = form.cleaned_data.get("day") if request.GET else None
    return form, authority, day or timezone.localdate()


def _meeting_page(request, meeting: str):
    title, agenda_for = MEETINGS[meeting]
    form, authority, day = _meeting_choice(request)
    items = None
    if authority is not None and day is not None:
        items = agenda_for(user=request.user, local_authority=authority, day=day, request=request)
    pack_url = ""
    if meeting == "panel" and items is not None:
        pack_url = (
            reverse("safeguarding:meeting_panel_pack")
            + "?"
            + urlencode({"authority": authority.code, "day": day.isoformat()})
        )
    return render(
        request,
        f"safeguarding/meetings/{meeting}.html",
        {"title": title, "form": form, "authority": authority, "day": day, "items": items, "pack_url": pack_url},
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
def meeting_contextual(request):
    return _meeting_page(request, "contextual")


@login_required
@require_safe
def meeting_panel(request):
    return _meeting_page(request, "panel")


@login_required
@require_safe
def meeting_panel_pack(request):
    form, authority, day = _meeting_choice(request)
    if authority is None or day is None:
        # Nothing chosen yet, or bad input: the panel page says what is missing.
        return redirect(reverse("safeguarding:meeting_panel") + ("?" + request.GET.urlencode() if request.GET else ""))
    document = meetings.panel_pack_pdf(user=request.user, local_authority=authority, day=day, request=request)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="disruption-panel-{authority.code}-{day.isoformat()}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_nrm(request, case_id: int):
    """Record the case's NRM referral, then its reasonable- and conclusive-grounds decisions."""
    case = case_get_for_user(user=request.user, case_id=case_id, level=Access.WRITE, request=request)
    referral = getattr(case, "nrm", None)
    posted = request.POST if request.method == "POST" else None
    record_form = NrmRecordForm(posted if referral is None else None, case=case)
    decision_form = NrmDecisionForm(posted if referral is not None else None)
    if posted is not None:
        form = record_form if referral is None else decision_form
        if form.is_valid():
            try:
                if referral is None:
                    records.nrm_record(actor=request.user, case=case, request=request, **form.cleaned_data)
                else:
                    records.nrm_decide(actor=request.user, case=case, request=request, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "NRM referral recorded." if referral is None else "NRM decision recorded.")
                return redirect("safeguarding:case_nrm", case_id=case.pk)
    return render(
        request,
        "safeguarding/records/nrm.html",
        {"case": case, "referral": referral, "record_form": record_form, "decision_form": decision_form},
        status=400 if (record_form.errors or decision_form.errors) else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_investigations(request, case_id: int):
    """Police only: the investigations linked to the case, and a form to link another."""
    case = case_get_for_user(user=request.user, case_id=case_id, level=Access.WRITE, request=request)
    linked = records.investigations_for_user(user=request.user, case=case, request=request)
    form = InvestigationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            records.investigation_link(actor=request.user, case=case, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Investigation {form.cleaned_data['crime_reference'].upper()} linked.")
            return redirect("safeguarding:case_investigations", case_id=case.pk)
    return render(
        request,
        "safeguarding/records/investigations.html",
        {"case": case, "investigations": linked, "form": form},
        status=400 if form.errors else 200,
    )
