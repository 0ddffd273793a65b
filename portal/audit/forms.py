"""Forms of the misuse pages: the alert filters, an alert's review step, a rule's settings, the
report's period and a subject marker."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from portal.text import clean_query

from .misuse import PARAMS, params_validate, rule_params
from .models import AlertStatus, MisuseRule, MisuseRuleCode, SubjectMarkerKind
from .relationships import CASE, NOMINAL
from .trail_forms import PeriodForm


class _Query(forms.CharField):
    def to_python(self, value):
        return clean_query(value, max_length=self.max_length or 150)


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=[("", "Any"), *AlertStatus.choices], required=False)
    rule = forms.ChoiceField(label="Rule", choices=[("", "Any"), *MisuseRuleCode.choices], required=False)
    agency = _Query(label="Agency", max_length=120, required=False)
    user = _Query(label="Username", max_length=150, required=False)

    def as_query(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.cleaned_data.items() if value)


class ReviewForm(forms.Form):
    to = forms.ChoiceField(label="Move to", choices=AlertStatus.choices)
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class RuleForm(forms.Form):
    """One rule's switch and thresholds; the fields come from the rule's PARAMS and are checked
    by `params_validate`, so the page and the service agree."""

    enabled = forms.BooleanField(label="Enabled", required=False)

    def __init__(self, *args, rule: MisuseRule, **kwargs) -> None:
        self.rule = rule
        current = rule_params(rule)
        kwargs.setdefault("initial", {"enabled": rule.enabled, **current})
        kwargs.setdefault("prefix", rule.code)
        super().__init__(*args, **kwargs)
        for name, spec in PARAMS[rule.code].items():
            if spec.kind is bool:
                self.fields[name] = forms.BooleanField(label=spec.label, required=False)
            else:
                # A text box checked by params_validate (not IntegerField), so the message names the
                # bounds the rule allows.
                self.fields[name] = forms.CharField(
                    label=spec.label,
                    widget=forms.NumberInput(attrs={"min": spec.minimum, "max": spec.maximum}),
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = {name: data.get(name) for name in PARAMS[self.rule.code]}
        try:
            data["params"] = params_validate(self.rule.code, raw)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return data


class ReportForm(PeriodForm):
    pass


class MarkerForm(forms.Form):
    subject_type = forms.ChoiceField(
        label="Record", choices=[(NOMINAL, "Police nominal"), (CASE, "Safeguarding case (number)")]
    )
    subject_id = forms.CharField(label="Nominal id or case number", max_length=64)
    kind = forms.ChoiceField(label="Marker", choices=SubjectMarkerKind.choices)
    reason = forms.CharField(label="Reason", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_subject_id(self) -> str:
        return (self.cleaned_data.get("subject_id") or "").strip()


class MarkerRemoveForm(forms.Form):
    reason = forms.CharField(label="Why remove it", max_length=500)
