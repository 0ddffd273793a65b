"""Forms of the SPoC pages. They shape the input; the services and the lifecycle check it (so
the pages and the API give the same answers)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from .models import (
    Category,
    DealLineStatus,
    ErrorKind,
    RequestKind,
    RequestState,
    SensitiveProfession,
    StatutoryPurpose,
    Urgency,
    Violence,
)
from .services import provider_agencies
from .transitions import STEP_FIELDS

DATE = forms.DateInput(attrs={"type": "date"})
TEXTAREA = forms.Textarea(attrs={"rows": 4})


class RequestForm(forms.Form):
    kind = forms.ChoiceField(choices=RequestKind.choices, label="Kind of communications data")
    provider = forms.ChoiceField(label="Provider")
    investigation = forms.CharField(max_length=200, label="Investigation (operation name or crime reference)")
    case = forms.CharField(required=False, label="Linked safeguarding case id", help_text="Optional")
    nominal = forms.CharField(required=False, label="Person's police id", help_text="Optional")
    deal_line = forms.CharField(required=False, label="Deal line id", help_text="Optional")
    identifier = forms.CharField(max_length=120, label="Number, account or device")
    data_sought = forms.CharField(
        widget=TEXTAREA,
        label="Data sought",
        help_text="Entity or events data only: the content of communications needs a warrant.",
    )
    date_from = forms.DateField(required=False, widget=DATE, label="From")
    date_to = forms.DateField(required=False, widget=DATE, label="To")
    statutory_purpose = forms.ChoiceField(choices=StatutoryPurpose.choices, label="Statutory purpose (IPA s.60A(7))")
    necessity = forms.CharField(widget=TEXTAREA, required=False, label="Necessity")
    proportionality = forms.CharField(widget=TEXTAREA, required=False, label="Proportionality")
    collateral_intrusion = forms.CharField(widget=TEXTAREA, required=False, label="Collateral intrusion")
    category = forms.ChoiceField(choices=Category.choices, label="Category")
    urgency = forms.ChoiceField(choices=Urgency.choices, label="Urgency")
    serious_crime_threshold = forms.BooleanField(
        required=False, label="Events data: the offence meets the serious crime threshold"
    )
    sensitive_profession = forms.ChoiceField(
        choices=SensitiveProfession.choices,
        required=False,
        label="Sensitive profession",
        help_text="A journalist, lawyer, doctor or MP: the stricter route applies.",
    )
    preservation_expires_on = forms.DateField(required=False, widget=DATE, label="Preservation expires on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        provider = self.fields["provider"]
        assert isinstance(provider, forms.ChoiceField)
        provider.choices = [("", "Choose…")] + [(a.code, a.name) for a in provider_agencies()]


REASONED: set[str] = {RequestState.RETURNED, RequestState.DECLINED, RequestState.WITHDRAWN, RequestState.EXPIRED}
REASON_LABELS: dict[str, str] = {
    RequestState.RETURNED: "Reasons for returning it to the applicant",
    RequestState.DECLINED: "Why the company declines",
    RequestState.WITHDRAWN: "Why it is withdrawn",
    RequestState.EXPIRED: "Why it has expired",
    RequestState.CLOSED: "Closing note (optional)",
}


class StepForm(forms.Form):
    """The fields of one step, from spoc.transitions.STEP_FIELDS."""

    FIELDS = {
        "reason": lambda to: forms.CharField(
            widget=TEXTAREA, required=to in REASONED, label=REASON_LABELS.get(to, "Reason")
        ),
        "feasibility_note": lambda to: forms.CharField(widget=TEXTAREA, label="Feasibility note"),
        "authorisation_reference": lambda to: forms.CharField(
            max_length=60, required=False, label="OCDA decision reference"
        ),
        "reasons": lambda to: forms.CharField(widget=TEXTAREA, required=False, label="Reasons"),
        "decided_on": lambda to: forms.DateField(required=False, widget=DATE, label="Date of the decision"),
        "question": lambda to: forms.CharField(widget=TEXTAREA, label="What the company needs clarified"),
        "answer": lambda to: forms.CharField(
            widget=TEXTAREA, required=False, label="Answer to the provider's question"
        ),
    }

    def __init__(self, *args, to: str, **kwargs):
        super().__init__(*args, **kwargs)
        for name in STEP_FIELDS.get(to, ()):
            self.fields[name] = self.FIELDS[name](to)

    def step_data(self) -> dict:
        data = {}
        for name, value in self.cleaned_data.items():
            if isinstance(value, date):
                value = value.isoformat()
            if value not in (None, ""):
                data[name] = value
        return data


class UploadForm(forms.Form):
    file = forms.FileField(label="Response file (CSV, PDF, ZIP or plain text)")


class ConfirmForm(forms.Form):
    reference = forms.CharField(max_length=60, label="OCDA reference confirming the urgent authorisation")
    decided_on = forms.DateField(widget=DATE, label="Date of the OCDA's confirmation")


class ErrorForm(forms.Form):
    kind = forms.ChoiceField(choices=ErrorKind.choices, label="Kind of error")
    description = forms.CharField(widget=TEXTAREA, label="What went wrong")


class ErrorReviewForm(forms.Form):
    review = forms.CharField(widget=TEXTAREA, label="The senior responsible officer's review")
    reported_to_ipc_on = forms.DateField(required=False, widget=DATE, label="Reported to the Commissioner on")


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, widget=DATE, label="From")
    end = forms.DateField(required=False, widget=DATE, label="To")

    def period(self) -> tuple[date, date]:
        """The chosen period (after is_valid()); the last 28 days when none is given."""
        today = timezone.localdate()
        cleaned = getattr(self, "cleaned_data", None) or {}
        end = cleaned.get("end") or today
        start = cleaned.get("start") or end - timedelta(days=27)
        return start, end

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError("The period ends before it starts.")
        if start and end and (end - start).days > 3660:
            raise forms.ValidationError("Choose a period of at most ten years.")
        return cleaned


class DealLineForm(forms.Form):
    number = forms.CharField(max_length=20, label="Number", help_text="As dialled, e.g. 07700 900123")
    line_name = forms.CharField(max_length=60, label="Line name")
    origin_force = forms.CharField(max_length=80, initial="West Midlands Police", label="Origin force")
    areas_supplied = forms.CharField(max_length=300, required=False, label="Areas supplied")
    identified_on = forms.DateField(required=False, widget=DATE, label="Identified on")
    children_exploited = forms.IntegerField(
        min_value=0, max_value=500, initial=0, label="Children known to be exploited"
    )
    firearms = forms.BooleanField(required=False, label="Firearms capability")
    missing_episodes = forms.IntegerField(
        min_value=0, max_value=1000, initial=0, label="Missing episodes of linked children"
    )
    looked_after_children = forms.IntegerField(min_value=0, max_value=500, initial=0, label="Looked-after children")
    runners = forms.IntegerField(min_value=0, max_value=500, initial=0, label="Number of runners")
    youngest_runner_age = forms.IntegerField(min_value=8, max_value=99, required=False, label="Youngest runner's age")
    violence = forms.TypedChoiceField(choices=Violence.choices, coerce=int, initial=0, label="Violence")
    known_ocg = forms.BooleanField(required=False, label="Known organised crime group")


class LineStatusForm(forms.Form):
    status = forms.ChoiceField(choices=DealLineStatus.choices, label="Status")
    on = forms.DateField(required=False, widget=DATE, label="With effect from")
