"""The export pages: a GET asks why (purpose, justification, recipient), a POST makes the file.
Access, the watermark, neutralising formulas and the record are all in exports.py."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from portal.audit.models import AccessAction, PurposeReason
from portal.audit.services import record_access

from .exports import (
    GROUP,
    ExportFormat,
    ExportKind,
    ExportNotPossible,
    disclosure_purposes,
    export_allowed_or_refuse,
    export_create,
    export_request_clean,
)
from .models import GroupResult
from .run_selectors import nominal_result_get_for_user, run_get_for_user


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label="File", choices=ExportFormat.choices, initial=ExportFormat.CSV, widget=forms.RadioSelect
    )
    purpose = forms.ModelChoiceField(
        label="Purpose", queryset=PurposeReason.objects.none(), to_field_name="code", empty_label="Choose a purpose"
    )
    justification = forms.CharField(
        label="Justification",
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the export is for and why it needs these people (at least 10 characters).",
    )
    recipient_agency = forms.CharField(
        label="Recipient agency",
        max_length=200,
        required=False,
        help_text="If the file leaves the force: the agency it goes to.",
    )
    recipient_person = forms.CharField(
        label="Recipient person", max_length=200, required=False, help_text="And the person who receives it there."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["purpose"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = disclosure_purposes()


def _export_page(request, *, kind: str, run, subject: str, back: str, group: int | None = None, nominal_id: str = ""):
    form = ExportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                spec = export_request_clean(
                    kind=kind,
                    format=data["format"],
                    run_id=run.pk,
                    purpose=data["purpose"].code,
                    justification=data["justification"],
                    group=group,
                    nominal_id=nominal_id,
                    recipient_agency=data["recipient_agency"],
                    recipient_person=data["recipient_person"],
                )
                export = export_create(user=request.user, spec=spec, request=request)
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, problems)
            except ExportNotPossible as error:
                form.add_error(None, str(error))
                status = 409
            else:
                response = HttpResponse(export.content, content_type=export.content_type)
                response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
                response["X-Export-Id"] = export.export_id
                response["X-Content-SHA256"] = export.sha256
                return response
    return render(
        request,
        "analytics/exports/export_form.html",
        {"form": form, "run": run, "subject": subject, "back": back, "kind": kind},
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def export_groups(request, run_id: int):
    export_allowed_or_refuse(user=request.user, request=request, object_id=str(run_id))
    run = run_get_for_user(user=request.user, run_id=run_id, request=request)
    return _export_page(
        request,
        kind=ExportKind.GROUPS,
        run=run,
        subject=f"the groups of run {run.pk}",
        back=reverse("analytics:run_detail", args=[run.pk]),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def export_members(request, run_id: int, group: int):
    export_allowed_or_refuse(user=request.user, request=request, object_id=str(run_id))
    run = run_get_for_user(user=request.user, run_id=run_id, request=request, record=False)
    key = f"{run.pk}/{group}"
    if not GroupResult.objects.filter(run=run, group=group).exists():
        record_access(
            action=AccessAction.REFUSED, request=request, object_type=GROUP, object_id=key, reason="not found"
        )
        raise Http404
    record_access(action=AccessAction.VIEW, request=request, object_type=GROUP, object_id=key, reason="export form")
    return _export_page(
        request,
        kind=ExportKind.MEMBERS,
        run=run,
        subject=f"the members of group {group} of run {run.pk}",
        back=reverse("analytics:run_group", args=[run.pk, group]),
        group=group,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def export_profile(request, run_id: int, nominal_id: str):
    export_allowed_or_refuse(user=request.user, request=request, object_id=str(run_id))
    result = nominal_result_get_for_user(user=request.user, run_id=run_id, nominal_id=nominal_id, request=request)
    return _export_page(
        request,
        kind=ExportKind.PROFILE,
        run=result.run,
        subject=f"the profile of {result.nominal_id} in run {result.run_id}",
        back=reverse("analytics:run_nominal", args=[result.run_id, result.nominal_id]),
        nominal_id=result.nominal_id,
    )
