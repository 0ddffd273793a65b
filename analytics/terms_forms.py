from __future__ import annotations

from django import forms

from .method.terms import TermGroup, term_pattern_problem
from .services import groups_from_json, stored_marks_cuckooing


class TermGroupForm(forms.Form):
    name = forms.CharField(max_length=60)
    weight = forms.FloatField(min_value=0.01, max_value=1.0, help_text="0.01 to 1")
    patterns = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One regular expression per line; matched case-insensitively on word boundaries.",
    )
    marks_cuckooing = forms.BooleanField(
        required=False,
        label="Marks cuckooing (victims on these records are vulnerable adults)",
        help_text="Exactly one group carries this. It stays with the group when you rename it.",
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
        return TermGroup(data["name"].strip(), data["weight"], data["patterns"], data["marks_cuckooing"])


def term_group_initial(stored_groups) -> list[dict]:
    """The editor's rows for the groups of a stored version (`SearchTermVersion.groups`)."""
    return [
        {
            "name": group.name,
            "weight": group.weight,
            "patterns": "\n".join(group.patterns),
            "marks_cuckooing": group.marks_cuckooing,
        }
        for group in groups_from_json(stored_groups)
    ]


class BaseTermGroupFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Rows given without the tick (built by hand from a stored version rather than by
        # `term_group_initial`) read it as a stored version without the key does, so the
        # default CUCKOO group is not shown unticked and then refused on save. (The formset
        # only stores `initial` when built; its forms read it later.)
        if self.initial:
            self.initial = [
                row if "marks_cuckooing" in row else {**row, "marks_cuckooing": stored_marks_cuckooing(row)}
                for row in self.initial
            ]


TermGroupFormSet = forms.formset_factory(
    TermGroupForm, formset=BaseTermGroupFormSet, extra=1, can_delete=True, min_num=1, validate_min=True
)


class TermVersionNoteForm(forms.Form):
    note = forms.CharField(max_length=300, help_text="Why the terms change (kept with the version).")
