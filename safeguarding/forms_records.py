"""Forms for the NRM, linked investigations and the meeting pages. They only shape input for the
browser; every rule is the service's (records.py, meetings.py), so the API and pages agree."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from portal.accounts.models import Agency, AgencyKind

from .models import CaseKind, NrmDecision, NrmReferral
from .records import FIRST_RESPONDER_KINDS

# ISO dates: a browser's date input takes no other (the locale's 01/12/2026 shows as empty).
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on `form`: each message beside its field where the form
    has one, above the form otherwise."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class NrmRecordForm(forms.Form):
    first_responder = forms.ModelChoiceField(
        queryset=Agency.objects.filter(kind__in=FIRST_RESPONDER_KINDS),
        empty_label="Choose the first responder organisation",
    )
    submitted_on = forms.DateField(label="Referral submitted on", widget=DATE)
    adult_basis = forms.ChoiceField(
        label="Basis for referring an adult",
        choices=[("", "Choose"), *NrmReferral.AdultBasis.choices],
        required=False,
    )

    def __init__(self, *args, case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if case.kind == CaseKind.CHILD:
            del self.fields["adult_basis"]  # a child needs no consent and is never a Duty to Notify


class NrmDecisionForm(forms.Form):
    stage = forms.ChoiceField(
        choices=[("reasonable", "Reasonable grounds"), ("conclusive", "Conclusive grounds")], label="Decision"
    )
    decision = forms.ChoiceField(
        choices=[(NrmDecision.POSITIVE, "Positive"), (NrmDecision.NEGATIVE, "Negative")], label="Outcome"
    )
    decided_on = forms.DateField(label="Decided on", widget=DATE)


class InvestigationForm(forms.Form):
    crime_reference = forms.CharField(max_length=40)
    outcome_22 = forms.BooleanField(label="Outcome 22: diversionary activity instead of prosecution", required=False)
    diversion_activity = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Diversionary activity"
    )
    decided_on = forms.DateField(required=False, widget=DATE, label="Decided on")
    section_45_considered = forms.BooleanField(label="Section 45 Modern Slavery Act defence considered", required=False)


class MeetingDayForm(forms.Form):
    """Which meeting: the local authority (chosen by those outside one) and the day."""

    authority = forms.ModelChoiceField(
        queryset=Agency.objects.filter(kind=AgencyKind.LOCAL_AUTHORITY),
        to_field_name="code",
        required=False,
        empty_label="Choose a local authority",
        label="Local authority",
    )
    day = forms.DateField(required=False, widget=DATE, label="Day")

    def __init__(self, *args, choose_authority: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not choose_authority:
            del self.fields["authority"]  # a local authority's staff see their own meetings only
