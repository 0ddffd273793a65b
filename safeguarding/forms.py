from __future__ import annotations

from django import forms

from portal.access import Access
from portal.accounts.models import Agency, AgencyKind

from .models import Case


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["kind", "forenames", "surname", "date_of_birth", "local_authority", "summary"]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["local_authority"].queryset = Agency.objects.filter(kind=AgencyKind.LOCAL_AUTHORITY)


class CaseSummaryForm(forms.Form):
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=20000, required=False)


class ShareForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), empty_label="Choose an agency")
    level = forms.ChoiceField(choices=[("read", "Read"), ("write", "Read and write")])

    def access_level(self) -> Access:
        return Access.WRITE if self.cleaned_data["level"] == "write" else Access.READ
