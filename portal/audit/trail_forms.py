"""The auditor's search form and the purpose ("break-glass") and disclosure forms."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from portal.text import clean_query

from .models import AccessAction, PurposeReason
from .search import SORTS, TrailFilters

OUTCOMES = [("", "Any"), ("allowed", "Allowed"), ("refused", "Refused")]


class QueryField(forms.CharField):
    """A search term, cleaned as every search in the portal is (portal.text.clean_query)."""

    def to_python(self, value):
        return clean_query(value, max_length=self.max_length or 500)


class TrailSearchForm(forms.Form):
    user = QueryField(label="Username", max_length=150, required=False)
    agency = QueryField(label="Agency", max_length=120, required=False)
    subject = QueryField(
        label="Subject", max_length=200, required=False, help_text="A child's name, a case reference or a nominal id"
    )
    action = forms.ChoiceField(label="Action", choices=[("", "Any"), *AccessAction.choices], required=False)
    object_type = QueryField(label="Record type", max_length=64, required=False, help_text="e.g. safeguarding.case")
    outcome = forms.ChoiceField(label="Outcome", choices=OUTCOMES, required=False)
    address = forms.GenericIPAddressField(label="From address", required=False)
    since = forms.DateTimeField(label="From", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = forms.DateTimeField(label="To", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    sort = forms.ChoiceField(label="Order", choices=[(key, key.title() + " first") for key in SORTS], required=False)

    def clean(self):
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end of the time range is before its start.")
        return data

    def filters(self) -> TrailFilters:
        data = self.cleaned_data
        return TrailFilters(
            user=data.get("user") or "",
            agency=data.get("agency") or "",
            subject=data.get("subject") or "",
            action=data.get("action") or "",
            object_type=data.get("object_type") or "",
            outcome=data.get("outcome") or "",
            address=data.get("address") or "",
            since=data.get("since"),
            until=data.get("until"),
            sort=data.get("sort") or "newest",
        )


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    MAX_DAYS = 366

    def clean(self):
        data = super().clean() or {}
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=27)
        if start > end:
            self.add_error("end", "The end of the period is before its start.")
        elif (end - start).days >= self.MAX_DAYS:
            self.add_error("start", f"Choose a period of at most {self.MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data

    def period(self) -> tuple[date, date]:
        return self.cleaned_data["start"], self.cleaned_data["end"]


class PurposeForm(forms.Form):
    """Why a record is opened without a workflow relationship, or why data leaves the portal."""

    purpose = forms.ModelChoiceField(
        label="Purpose", queryset=PurposeReason.objects.none(), to_field_name="code", empty_label="Choose a purpose"
    )
    justification = forms.CharField(
        label="Justification",
        max_length=500,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you are doing and why you need this record (at least 10 characters).",
    )

    def __init__(self, *args, disclosure: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        reasons = PurposeReason.objects.filter(active=True)
        field = self.fields["purpose"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = reasons.filter(for_disclosure=True) if disclosure else reasons.filter(for_break_glass=True)


class DisclosureForm(PurposeForm):
    recipient = forms.CharField(
        label="Recipient",
        max_length=200,
        help_text="Who receives it: the person making the request, or the agency and person it goes to.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, disclosure=True, **kwargs)
