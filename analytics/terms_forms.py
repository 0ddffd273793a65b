from __future__ import annotations

from django import forms

from .method.terms import TermGroup, term_pattern_problem


class TermGroupForm(forms.Form):
    name = forms.CharField(max_length=60)
    weight = forms.FloatField(min_value=0.01, max_value=1.0, help_text="0.01 to 1")
    patterns = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One regular expression per line; matched case-insensitively on word boundaries.",
    )

    def clean_patterns(self) -> tuple[str, ...]:
        patterns = tuple(
            dict.fromkeys(line.strip() for line in self.cleaned_data["patterns"].splitlines() if line.strip())
        )
        if not patterns:
            raise forms.ValidationError("Add at least one pattern.")
        problems = [f"{pattern!r}: {problem}" for pattern in patterns if (problem := term_pattern_problem(pattern))]
        if problems:
            raise forms.ValidationError(problems)
        return patterns

    def term_group(self) -> TermGroup:
        data = self.cleaned_data
        return TermGroup(data["name"].strip(), data["weight"], data["patterns"])


TermGroupFormSet = forms.formset_factory(TermGroupForm, extra=1, can_delete=True, min_num=1, validate_min=True)


class TermVersionNoteForm(forms.Form):
    note = forms.CharField(max_length=300, help_text="Why the terms change (kept with the version).")
