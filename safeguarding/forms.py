from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from portal.access import Access
from portal.accounts.models import Agency, AgencyKind
from portal.audit.models import PurposeReason
from portal.text import normalise_postcode

from .models import SUMMARY_MAX_LENGTH, Case, CaseKind, CaseState, Consent, RiskLevel, StrategyOutcome
from .pathway import tactic_kinds
from .screening import INDICATORS, score_answers


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["kind", "forenames", "surname", "date_of_birth", "home_postcode", "local_authority", "summary"]
        labels = {"home_postcode": "Home postcode (if known)"}
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        authority = cast(forms.ModelChoiceField, self.fields["local_authority"])
        authority.queryset = Agency.objects.filter(kind=AgencyKind.LOCAL_AUTHORITY)

    def clean_home_postcode(self) -> str:
        return normalise_postcode(self.cleaned_data.get("home_postcode", ""))


class CaseSummaryForm(forms.Form):
    # The limit itself is the model's (checked again by the service); this only tells the browser.
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=SUMMARY_MAX_LENGTH, required=False)


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["given_by", "given_by_name", "method", "given_on", "agencies", "scope"]
        labels = {
            "given_by": "Who gave consent",
            "given_by_name": "Their name",
            "method": "How",
            "given_on": "When",
            "agencies": "Agencies the person agreed may see their details",
            "scope": "What may be shared, and why",
        }
        widgets = {
            "given_on": forms.DateInput(attrs={"type": "date"}),
            "agencies": forms.CheckboxSelectMultiple,
            "scope": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["agencies"]).queryset = Agency.objects.exclude(
            kind__in=[AgencyKind.POLICE_FORCE, AgencyKind.COMMUNICATIONS_PROVIDER]
        )


class ConsentWithdrawForm(forms.Form):
    note = forms.CharField(label="Why consent was withdrawn", max_length=500)


class ShareForm(forms.Form):
    """A disclosure: to whom, at which level, and why (recorded with the grant)."""

    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), empty_label="Choose an agency")
    level = forms.ChoiceField(choices=[("read", "Read"), ("write", "Read and write")])
    purpose = forms.ModelChoiceField(
        queryset=PurposeReason.objects.filter(active=True, for_disclosure=True),
        to_field_name="code",
        empty_label="Choose a purpose",
    )
    justification = forms.CharField(
        max_length=500,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the agency needs it for (at least 10 characters).",
    )

    def access_level(self) -> Access:
        return Access.WRITE if self.cleaned_data["level"] == "write" else Access.READ


# --- the pathway's steps -------------------------------------------------------------------------
# One form per step. They shape input for the browser and turn it into the `data` dict that
# pathway.case_transition takes; every rule stays the pathway's, so pages and API agree.

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = forms.Textarea(attrs={"rows": 4})
YES_NO = [("yes", "Yes"), ("no", "No")]
TACTIC_ROWS = 3

# What each step's button says, by (from, to): partner wording, never a record role.
STEP_LABELS: dict[tuple[str, str], str] = {
    (CaseState.IDENTIFIED, CaseState.REFERRED): "Police review: refer to the MASH",
    (CaseState.IDENTIFIED, CaseState.CLOSED): "Police review: close, no safeguarding concern",
    (CaseState.REFERRED, CaseState.SCREENING): "MASH decision: accept for screening",
    (CaseState.REFERRED, CaseState.NO_FURTHER_ACTION): "MASH decision: no further action",
    (CaseState.SCREENING, CaseState.STRATEGY_DISCUSSION): "Screening: high risk, to a strategy discussion",
    (CaseState.SCREENING, CaseState.CONTEXTUAL_MEETING): "Screening: medium or low risk, to a contextual meeting",
    (CaseState.STRATEGY_DISCUSSION, CaseState.DISRUPTION_PANEL): "Strategy discussion: to the disruption panel",
    (CaseState.STRATEGY_DISCUSSION, CaseState.MONITORING): "Strategy discussion: monitor",
    (CaseState.STRATEGY_DISCUSSION, CaseState.CLOSED): "Strategy discussion: close",
    (CaseState.CONTEXTUAL_MEETING, CaseState.DISRUPTION_PANEL): "Contextual meeting: to the disruption panel",
    (CaseState.CONTEXTUAL_MEETING, CaseState.MONITORING): "Contextual meeting: monitor",
    (CaseState.DISRUPTION_PANEL, CaseState.MONITORING): "Disruption panel: record the tactics and monitor",
    (CaseState.MONITORING, CaseState.CLOSED): "Monitoring review: close",
    (CaseState.MONITORING, CaseState.SCREENING): "Monitoring review: new concerns, screen again",
    (CaseState.CLOSED, CaseState.REFERRED): "Re-open: back to the MASH",
    (CaseState.NO_FURTHER_ACTION, CaseState.REFERRED): "Re-open: back to the MASH",
}


def step_label(from_state: str, to: str) -> str:
    return STEP_LABELS.get((from_state, to), f"Move to {CaseState(to).label.lower()}")


def _agency_choices() -> list[tuple[str, str]]:
    """Agencies by code (the pathway's own identifiers); providers never sit in these meetings."""
    agencies = Agency.objects.exclude(kind=AgencyKind.COMMUNICATIONS_PROVIDER)
    return [(agency.code, agency.name) for agency in agencies]


class StepForm(forms.Form):
    """A step's fields for `case` moving to `to`. Subclasses say how the cleaned data becomes
    the pathway's `data` (`to_data`) and may drop fields that do not apply."""

    def __init__(self, *args, case: Case, to: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.to = to

    def to_data(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}

    def add_service_errors(self, error: ValidationError) -> None:
        """The pathway's ValidationError on the form: beside the field it names when the form has
        that field, above the form otherwise."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)

    def fieldsets(self) -> list[tuple[str, list]]:
        """(legend, bound fields) groups for the template; one unnamed group by default."""
        return [("", list(self))]


class PoliceReviewForm(StepForm):
    concern = forms.CharField(
        label="The concern partners will read",
        help_text="The only police words the MASH and partners see: say why this child is at risk of exploitation, "
        "never their role in police records.",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=SUMMARY_MAX_LENGTH,
    )
    local_authority = forms.ChoiceField(
        label="Local authority whose MASH receives the case",
        help_text="Police records do not give one of the seven authorities for this person.",
    )
    consent_override_reason = forms.CharField(
        label="Reason to share without consent (risk to life)",
        help_text="Only when the vulnerable adult has not consented; needs the consent-override permission.",
        widget=TEXT,
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.case.local_authority_id is not None:
            del self.fields["local_authority"]
        else:
            authorities = Agency.objects.filter(kind=AgencyKind.LOCAL_AUTHORITY)
            cast(forms.ChoiceField, self.fields["local_authority"]).choices = [("", "Choose a local authority")] + [
                (agency.code, agency.name) for agency in authorities
            ]
        if self.case.kind != CaseKind.VULNERABLE_ADULT:
            del self.fields["consent_override_reason"]


class PoliceCloseForm(StepForm):
    reason = forms.CharField(
        label="The reason there is no safeguarding concern", widget=TEXT, max_length=SUMMARY_MAX_LENGTH
    )


class MashDecisionForm(StepForm):
    reason = forms.CharField(label="Notes on the decision", widget=TEXT, max_length=SUMMARY_MAX_LENGTH, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.to == CaseState.NO_FURTHER_ACTION:
            self.fields["reason"].required = True
            self.fields["reason"].label = "The reason for no further action"


class ScreeningForm(StepForm):
    """The Exploitation Screening Tool: every indicator answered yes or no, then the level."""

    risk_level = forms.ChoiceField(
        label="Level of risk",
        choices=[("", "The tool's suggestion"), *RiskLevel.choices],
        required=False,
    )
    override_reason = forms.CharField(
        label="Why the level differs from the tool's suggestion",
        widget=TEXT,
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        answers = {
            f"answer_{indicator.code}": forms.ChoiceField(
                label=indicator.question, choices=YES_NO, widget=forms.RadioSelect
            )
            for indicator in INDICATORS
        }
        # The questions first, in the tool's order, then the level.
        self.fields = {**answers, **self.fields}

    def answers(self) -> dict[str, bool]:
        return {indicator.code: self.cleaned_data[f"answer_{indicator.code}"] == "yes" for indicator in INDICATORS}

    def score(self) -> tuple[int, str]:
        """(score, suggested level) of the answers; the form must be valid."""
        return score_answers(self.answers())

    def to_data(self) -> dict:
        return {
            "answers": self.answers(),
            "risk_level": self.cleaned_data["risk_level"],
            "override_reason": self.cleaned_data["override_reason"],
        }

    def fieldsets(self) -> list[tuple[str, list]]:
        questions = [self[f"answer_{indicator.code}"] for indicator in INDICATORS]
        return [
            ("Indicators of exploitation", questions),
            ("Level of risk", [self["risk_level"], self["override_reason"]]),
        ]


class MeetingForm(StepForm):
    held_on = forms.DateField(label="Held on", widget=DATE)
    attendees = forms.MultipleChoiceField(label="Agencies present", widget=forms.CheckboxSelectMultiple)
    attendee_names = forms.CharField(label="Names of those present", max_length=1000, required=False)
    minutes = forms.CharField(label="Minutes", widget=forms.Textarea(attrs={"rows": 8}), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["attendees"]).choices = _agency_choices()

    def to_data(self) -> dict:
        data = super().to_data()
        data["held_on"] = self.cleaned_data["held_on"].isoformat()
        data["attendees"] = list(self.cleaned_data["attendees"])
        return data


class StrategyDiscussionForm(MeetingForm):
    outcome = forms.ChoiceField(choices=[("", "Choose the outcome"), *StrategyOutcome.choices])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["minutes"].required = True
        self.fields["attendees"].help_text = "Police, the local authority, health and education at least."


class ContextualMeetingForm(MeetingForm):
    reason = forms.CharField(
        label="Why the meeting departs from the screening's rating",
        help_text="Needed when a medium rating goes to monitoring, or a low one to the disruption panel.",
        widget=TEXT,
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
    )


class DisruptionPanelForm(MeetingForm):
    """The panel's meeting and up to three tactics, each with an owner agency and a review date."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kinds = [("", "Choose a tactic")] + [(kind.code, kind.name) for kind in tactic_kinds()]
        owners = [("", "Choose the owner agency"), *_agency_choices()]
        for row in range(1, TACTIC_ROWS + 1):
            self.fields[f"tactic{row}_kind"] = forms.ChoiceField(label="Tactic", choices=kinds, required=False)
            self.fields[f"tactic{row}_owner"] = forms.ChoiceField(label="Owner agency", choices=owners, required=False)
            self.fields[f"tactic{row}_review_on"] = forms.DateField(label="Review by", widget=DATE, required=False)
            self.fields[f"tactic{row}_notes"] = forms.CharField(label="Notes", max_length=1000, required=False)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        chosen = 0
        for row in range(1, TACTIC_ROWS + 1):
            if not cleaned.get(f"tactic{row}_kind"):
                continue
            chosen += 1
            for part, label in (("owner", "an owner agency"), ("review_on", "a review date")):
                if not cleaned.get(f"tactic{row}_{part}") and f"tactic{row}_{part}" not in self.errors:
                    self.add_error(f"tactic{row}_{part}", f"Tactic {row} needs {label}.")
        if not chosen:
            self.add_error("tactic1_kind", "Choose at least one disruption tactic.")
        return cleaned

    def to_data(self) -> dict:
        meeting = {name: value for name, value in super().to_data().items() if not name.startswith("tactic")}
        meeting["tactics"] = [
            {
                "kind": self.cleaned_data[f"tactic{row}_kind"],
                "owner_agency": self.cleaned_data[f"tactic{row}_owner"],
                "review_on": self.cleaned_data[f"tactic{row}_review_on"].isoformat(),
                "notes": self.cleaned_data[f"tactic{row}_notes"],
            }
            for row in range(1, TACTIC_ROWS + 1)
            if self.cleaned_data.get(f"tactic{row}_kind")
        ]
        return meeting

    def fieldsets(self) -> list[tuple[str, list]]:
        meeting = [self[name] for name in ("held_on", "attendees", "attendee_names", "minutes")]
        rows = [
            (f"Tactic {row}", [self[f"tactic{row}_{part}"] for part in ("kind", "owner", "review_on", "notes")])
            for row in range(1, TACTIC_ROWS + 1)
        ]
        return [("The panel", meeting), *rows]


class MonitoringForm(StepForm):
    reason = forms.CharField(widget=TEXT, max_length=SUMMARY_MAX_LENGTH)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = (
            "The review's conclusion" if self.to == CaseState.CLOSED else "The new concerns that need screening"
        )


class ReopenForm(StepForm):
    reason = forms.CharField(
        label="The new intelligence that re-opens the case", widget=TEXT, max_length=SUMMARY_MAX_LENGTH
    )


# pathway step name -> form (the police review's depends on where it goes)
STEP_FORMS: dict[str, type[StepForm]] = {
    "MASH decision": MashDecisionForm,
    "screening": ScreeningForm,
    "strategy discussion": StrategyDiscussionForm,
    "contextual safeguarding meeting": ContextualMeetingForm,
    "disruption panel": DisruptionPanelForm,
    "monitoring review": MonitoringForm,
    "re-open": ReopenForm,
}


def step_form_class(step_name: str, to: str) -> type[StepForm]:
    if step_name == "police review":
        return PoliceCloseForm if to == CaseState.CLOSED else PoliceReviewForm
    return STEP_FORMS[step_name]
