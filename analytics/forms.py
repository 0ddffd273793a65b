from __future__ import annotations

from typing import Any

from django import forms

from analytics.bundle import FILE_SPECS
from analytics.method.inputs import PARAM_RANGES, param_problems

ALLOWED_NAMES = sorted(name for spec in FILE_SPECS.values() for name in spec.filenames)
MAX_UPLOAD_BYTES = 2 * 1024**3


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files at once (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            if not data and self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class BundleUploadForm(forms.Form):
    # The form's metaclass moves declared fields into `base_fields`, so this does not shadow
    # `BaseForm.files` (the uploaded files), as the stubs take it to.
    files = MultipleFileField(  # type: ignore[assignment]
        widget=MultipleFileInput(attrs={"multiple": True, "accept": ".csv,.parquet"}),
        help_text="Select the bundle's files together: nominals, records and record_nominals (CSV or Parquet), "
        "and optionally associations, soc_groups and harm_index.",
    )

    def clean_files(self):
        uploads = self.cleaned_data["files"]
        names = [upload.name for upload in uploads]
        unexpected = sorted(set(names) - set(ALLOWED_NAMES))
        if unexpected:
            raise forms.ValidationError(
                f"Unexpected file name(s): {', '.join(unexpected)}. A bundle's files are named "
                f"{', '.join(ALLOWED_NAMES)}."
            )
        if len(set(names)) != len(names):
            raise forms.ValidationError("The same file was selected twice.")
        if sum(upload.size for upload in uploads) > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The bundle is larger than 2 GB; import it with `manage.py import_bundle`.")
        return uploads


def _param_widget(name: str) -> forms.NumberInput:
    """The browser's hint of the range; the range itself is checked on the server."""
    bounds = PARAM_RANGES[name]
    return forms.NumberInput(
        attrs={"min": f"{bounds.low:g}", "max": f"{bounds.high:g}", "step": "1" if bounds.whole else "any"}
    )


class AnalysisRunForm(forms.Form):
    """The run's parameters. Their ranges are not repeated here: `clean` asks the method's
    `PARAM_RANGES`, the table behind the service's `analysis_params_problems`, which the
    `analyse` command uses too (and the service checks again when the run is created)."""

    reference_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="Ages are worked out on this date."
    )
    beta = forms.FloatField(
        initial=PARAM_RANGES["beta"].default,
        widget=_param_widget("beta"),
        help_text="Weight of related nominals' evidence.",
    )
    threshold = forms.FloatField(
        initial=PARAM_RANGES["threshold"].default,
        widget=_param_widget("threshold"),
        help_text="Keep nominals weighted at least this.",
    )
    steps = forms.IntegerField(
        initial=PARAM_RANGES["steps"].default, widget=_param_widget("steps"), help_text="Walktrap random-walk length."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        # Each parameter that parsed as a number is checked, so all problems show at once.
        for name, problem in param_problems({name: cleaned[name] for name in PARAM_RANGES if name in cleaned}).items():
            self.add_error(name, problem)
        return cleaned
