"""The ranges of beta, threshold and steps: one table (`PARAM_RANGES`), the same answer from the
service, the run form and the `analyse` command, at every boundary."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from analytics.analysis import analysis_run_create
from analytics.forms import AnalysisRunForm
from analytics.method.inputs import PARAM_RANGES, AnalysisParams
from analytics.models import AnalysisRun
from tests.analytics.bundles import import_pair

pytestmark = pytest.mark.django_db

# (parameter, value, accepted): each bound, and the nearest value beyond it.
BOUNDARIES = [
    ("beta", 0, True),
    ("beta", -0.001, False),
    ("beta", 10, True),
    ("beta", 10.001, False),
    ("threshold", 0, False),  # a threshold of 0 would keep every related nominal
    ("threshold", 0.001, True),
    ("threshold", 1, True),
    ("threshold", 1.001, False),
    ("steps", 0, False),
    ("steps", 1, True),
    ("steps", 50, True),
    ("steps", 51, False),
]
IDS = [f"{name}={value}" for name, value, _ in BOUNDARIES]


@pytest.mark.parametrize(("name", "value", "accepted"), BOUNDARIES, ids=IDS)
def test_the_service_accepts_exactly_the_range(name, value, accepted):
    if accepted:
        run = analysis_run_create(actor=None, reference_date=date(2026, 6, 30), **{name: value})
        assert getattr(run, name) == value and run.status == AnalysisRun.Status.QUEUED
        return
    with pytest.raises(ValidationError) as refused:
        analysis_run_create(actor=None, reference_date=date(2026, 6, 30), **{name: value})
    assert set(refused.value.message_dict) == {name}
    assert refused.value.message_dict[name] == [PARAM_RANGES[name].problem_text]
    assert not AnalysisRun.objects.exists()


@pytest.mark.parametrize(("name", "value", "accepted"), BOUNDARIES, ids=IDS)
def test_the_form_agrees_with_the_service(name, value, accepted):
    data = {"reference_date": "2026-06-30", "beta": "0.25", "threshold": "0.5", "steps": "4", name: str(value)}
    form = AnalysisRunForm(data)
    assert form.is_valid() == accepted, form.errors
    if not accepted:
        assert form.errors[name] == [PARAM_RANGES[name].problem_text]


@pytest.mark.parametrize(("name", "value", "accepted"), BOUNDARIES, ids=IDS)
def test_the_method_agrees_with_the_service(name, value, accepted):
    if accepted:
        AnalysisParams(reference_date=date(2026, 6, 30), **{name: value})
    else:
        with pytest.raises(ValueError, match=name):
            AnalysisParams(reference_date=date(2026, 6, 30), **{name: value})


def test_steps_must_be_a_whole_number():
    with pytest.raises(ValidationError) as refused:
        analysis_run_create(actor=None, reference_date=date(2026, 6, 30), steps=4.5)  # type: ignore[arg-type]  # refused on purpose
    assert set(refused.value.message_dict) == {"steps"}


@pytest.fixture
def tiny_imported(tmp_path):
    import_pair(tmp_path / "pair")  # both kept whatever the parameters in range


@pytest.mark.parametrize(("name", "value", "accepted"), BOUNDARIES, ids=IDS)
def test_the_command_agrees_with_the_service(tiny_imported, tmp_path, name, value, accepted):
    arguments = ["analyse", "--reference-date", "2026-06-30", f"--{name}", str(value)]
    with open(tmp_path / "out", "w") as out:
        if accepted:
            call_command(*arguments, stdout=out)
            run = AnalysisRun.objects.get()
            assert getattr(run, name) == value and run.status == AnalysisRun.Status.SUCCEEDED
            return
        with pytest.raises(CommandError) as refused:
            call_command(*arguments, stdout=out)
    assert str(refused.value) == f"--{name}: {PARAM_RANGES[name].problem_text}"
    assert not AnalysisRun.objects.exists()


def test_the_command_reports_a_bad_parameter_before_anything_else(tmp_path):
    # Nothing is imported, but the mistyped parameter is what needs fixing first.
    with pytest.raises(CommandError, match="^--threshold: "):
        call_command("analyse", "--threshold", "5", stdout=open(tmp_path / "out", "w"))
    assert not AnalysisRun.objects.exists()
