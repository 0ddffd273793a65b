from __future__ import annotations

from django import forms

from portal.access import Access
from portal.accounts.models import Agency, AgencyKind

from .models import SUMMARY_MAX_LENGTH, Case, Consent


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["kind", "forenames", "surname", "date_of_birth", "local_authority", "summary"]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["local_authority"].queryset = Agency.objects.filter(kind=AgencyKind.LOCAL_AUTHORITY)


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
        self.fields["agencies"].queryset = Agency.objects.exclude(
            kind__in=[AgencyKind.POLICE_FORCE, AgencyKind.COMMUNICATIONS_PROVIDER]
        )


class ConsentWithdrawForm(forms.Form):
    note = forms.CharField(label="Why consent was withdrawn", max_length=500)


class ShareForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), empty_label="Choose an agency")
    level = forms.ChoiceField(choices=[("read", "Read"), ("write", "Read and write")])

    def access_level(self) -> Access:
        return Access.WRITE if self.cleaned_data["level"] == "write" else Access.READ
