from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.access import require_role
from portal.accounts.roles import POLICE_DATA_ROLES, Role
from portal.audit.models import AccessAction
from portal.audit.services import record_access
from portal.text import clean_query

from .analysis import analysis_run_cancel, analysis_run_create, validation_mark, validation_report
from .exports import may_export
from .forms import AnalysisRunForm, BundleUploadForm
from .importing import import_progress
from .method.document import render_result_document
from .models import (
    AnalysisRun,
    GroupResult,
    ImportBatch,
    NominalResult,
    RunLayout,
    SearchTermVersion,
    ValidationItem,
)
from .run_selectors import (
    nominal_result_get_for_user,
    previous_run,
    run_comparison,
    run_get_for_user,
    run_list_for_user,
)
from .selectors import (
    import_get_for_user,
    import_list_for_user,
    nominal_get_for_user,
    nominal_list_for_user,
    nominal_records,
)
from .services import term_version_create, term_version_current
from .tasks import import_bundle_task, run_analysis_task
from .terms_forms import TermGroupFormSet, TermVersionNoteForm, term_group_initial
from .workspace import (
    TABLE_ROWS_PER_PAGE,
    GroupTableForm,
    chart_data,
    dismantling_page,
    group_network_data,
    group_table,
    neighbours_data,
    run_network_data,
    run_progress_state,
    safeguarding_case_for,
)


@login_required
@require_safe
def nominal_list(request):
    query = clean_query(request.GET.get("q", ""))
    nominals, total = nominal_list_for_user(user=request.user, query=query, request=request)
    return render(request, "analytics/nominal_list.html", {"nominals": nominals, "total": total, "q": query})


@login_required
@require_safe
def nominal_detail(request, nominal_id: str):
    nominal = nominal_get_for_user(user=request.user, nominal_id=nominal_id, request=request)
    return render(
        request,
        "analytics/nominal_detail.html",
        {"nominal": nominal, "links": nominal_records(nominal)[:200]},
    )


def _save_upload(batch: ImportBatch, uploads) -> Path:
    directory = Path(settings.MEDIA_ROOT) / "imports" / str(batch.pk)
    directory.mkdir(parents=True, exist_ok=True)
    for upload in uploads:
        # Names were checked against the bundle's file names, so they cannot climb directories.
        with (directory / Path(upload.name).name).open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    return directory


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_list(request):
    batches = import_list_for_user(user=request.user, request=request)
    form = BundleUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        batch = ImportBatch.objects.create(imported_by=request.user)
        directory = _save_upload(batch, form.cleaned_data["files"])
        batch.source_path = str(directory)
        batch.save(update_fields=["source_path"])
        transaction.on_commit(lambda: import_bundle_task.delay(batch.pk))
        messages.info(request, "Import queued. This page follows its progress.")
        return redirect("analytics:import_detail", batch_id=batch.pk)
    return render(request, "analytics/import_list.html", {"batches": batches, "form": form})


@login_required
@require_safe
def import_detail(request, batch_id: int):
    batch = import_get_for_user(user=request.user, batch_id=batch_id, request=request)
    return render(request, "analytics/import_detail.html", {"batch": batch, "progress": import_progress(batch)})


@login_required
@require_safe
def import_progress_json(request, batch_id: int):
    batch = import_get_for_user(user=request.user, batch_id=batch_id, request=request, record=False)
    return JsonResponse({"status": batch.status, **import_progress(batch)})


def _supervisor_only(request) -> None:
    require_role(user=request.user, roles=POLICE_DATA_ROLES, request=request, object_type="analytics.searchtermversion")
    if request.user.role != Role.INTELLIGENCE_SUPERVISOR:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type="analytics.searchtermversion",
            reason="only an intelligence supervisor edits search terms",
        )
        raise PermissionDenied("Only an intelligence supervisor can change the search terms.")


@login_required
@require_safe
def term_list(request):
    require_role(user=request.user, roles=POLICE_DATA_ROLES, request=request, object_type="analytics.searchtermversion")
    current = term_version_current()
    versions = SearchTermVersion.objects.select_related("created_by")[:50]
    return render(request, "analytics/term_list.html", {"current": current, "versions": versions})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def term_edit(request):
    _supervisor_only(request)
    current = term_version_current()
    initial = term_group_initial(current.groups)
    formset = TermGroupFormSet(request.POST or None, initial=initial, prefix="groups")
    note_form = TermVersionNoteForm(request.POST or None)
    problems: list[str] = []
    if request.method == "POST" and formset.is_valid() and note_form.is_valid():
        # Blank extra rows are skipped; rows ticked "delete" are dropped.
        groups = [
            form.term_group() for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            version = term_version_create(
                actor=request.user, groups=groups, note=note_form.cleaned_data["note"], request=request
            )
        except ValidationError as error:
            problems = error.messages
        else:
            if version.pk == current.pk:
                messages.info(request, f"Nothing changed; the search terms stay at version {current.number}.")
            else:
                messages.success(request, f"Search terms saved as version {version.number}.")
            return redirect("analytics:term_list")
    return render(
        request,
        "analytics/term_edit.html",
        {"formset": formset, "note_form": note_form, "problems": problems, "current": current},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def run_list(request):
    runs = run_list_for_user(user=request.user, request=request)
    form = AnalysisRunForm(request.POST or None, initial={"reference_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            run = analysis_run_create(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field, problems)
        else:
            transaction.on_commit(lambda: run_analysis_task.delay(run.pk))
            messages.info(request, f"Run {run.pk} queued with search terms v{run.term_version.number}.")
            return redirect("analytics:run_detail", run_id=run.pk)
    return render(request, "analytics/run_list.html", {"runs": runs, "form": form})


@login_required
@require_safe
def run_detail(request, run_id: int):
    # The view is recorded below, once, with the people the page shows.
    run = run_get_for_user(user=request.user, run_id=run_id, request=request, record=False)
    context: dict[str, Any] = {"run": run}
    people: list[NominalResult] = []
    if run.status == AnalysisRun.Status.SUCCEEDED:
        context["groups"] = run.group_results.all()[:200]
        context["children"] = (
            run.nominal_results.filter(is_child=True).select_related("nominal").order_by("route_to", "nominal_id")
        )
        context["age_unknown"] = run.nominal_results.filter(age_unknown=True).select_related("nominal")
        context["vulnerable_adults"] = run.nominal_results.filter(is_vulnerable_adult=True).select_related("nominal")
        context["top_nominals"] = run.nominal_results.select_related("nominal").order_by("dismantle_rank")[:25]
        earlier = previous_run(run)
        context["comparison"] = run_comparison(run, earlier) if earlier else None
        context["layout"] = RunLayout.objects.filter(run=run).first()
        context["charts"] = chart_data(run=run)
        people = [
            *context["children"],
            *context["age_unknown"],
            *context["vulnerable_adults"],
            *context["top_nominals"],
        ]
    record_access(action=AccessAction.VIEW, request=request, obj=run, result_count=len(people), shown=people)
    context["progress"] = run_progress_state(run)
    context["may_export"] = may_export(request.user)
    return render(request, "analytics/run_detail.html", context)


@login_required
@require_safe
def run_progress_json(request, run_id: int):
    run = run_get_for_user(user=request.user, run_id=run_id, request=request, record=False)
    return JsonResponse(run_progress_state(run))


@login_required
@require_POST
def run_cancel(request, run_id: int):
    run = run_get_for_user(user=request.user, run_id=run_id, request=request, record=False)
    # Every police data role sees the run, so a police user without the right gets 403 (the
    # service records the refusal), not 404.
    if analysis_run_cancel(run=run, actor=request.user, request=request):
        messages.info(request, "Cancellation requested; the run stops at the end of its current stage.")
    else:
        messages.error(request, "This run has already finished.")
    return redirect("analytics:run_detail", run_id=run.pk)


@login_required
@require_safe
def run_document(request, run_id: int):
    run = run_get_for_user(user=request.user, run_id=run_id, request=request, action=AccessAction.EXPORT)
    if run.document is None:
        raise Http404
    response = HttpResponse(render_result_document(run.document), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="analysis-run-{run.pk}.json"'
    return response


@login_required
@require_safe
def run_nominal(request, run_id: int, nominal_id: str):
    result = nominal_result_get_for_user(user=request.user, run_id=run_id, nominal_id=nominal_id, request=request)
    case, may_open_case = safeguarding_case_for(user=request.user, result=result)
    if case is not None:
        # The case's state is shown beside the profile: the trail names the case too.
        record_access(action=AccessAction.VIEW, request=request, obj=case, reason="safeguarding state on a run profile")
    return render(
        request,
        "analytics/run_nominal.html",
        {
            "result": result,
            "run": result.run,
            "case": case,
            "may_open_case": may_open_case,
            "may_export": may_export(request.user),
        },
    )


@login_required
@require_safe
def run_group(request, run_id: int, group: int):
    run = run_get_for_user(user=request.user, run_id=run_id, request=request, record=False)
    group_result = _group_or_404(request, run, group)
    network = group_network_data(run=run, group=group_result, request=request)
    # The drawing has every member drawn; its table alternative lists them a page at a time.
    members = Paginator(network["nodes"], TABLE_ROWS_PER_PAGE).get_page(request.GET.get("page", 1))
    return render(
        request,
        "analytics/run_group.html",
        {
            "run": run,
            "group": group_result,
            "members": members,
            "network": network,
            "may_export": may_export(request.user),
        },
    )


def _group_or_404(request, run: AnalysisRun, group: int) -> GroupResult:
    group_result = run.group_results.filter(group=group).defer("members").first()
    if group_result is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type="analytics.groupresult",
            object_id=f"{run.pk}/{group}",
            reason="not found",
        )
        raise Http404
    return group_result


def _completed_run(request, run_id: int, **fetch) -> AnalysisRun:
    """A run the user may see; its workspace pages exist once it has results (404 before)."""
    run = run_get_for_user(user=request.user, run_id=run_id, request=request, **fetch)
    if run.status != AnalysisRun.Status.SUCCEEDED:
        raise Http404
    return run


@login_required
@require_safe
def run_network(request, run_id: int):
    run = _completed_run(request, run_id)
    data = run_network_data(run=run, request=request)
    return render(request, "analytics/run_network.html", {"run": run, "network": data})


@login_required
@require_safe
def run_nominal_neighbours_json(request, run_id: int, nominal_id: str):
    run = _completed_run(request, run_id, record=False)
    result = run.nominal_results.filter(nominal_id=nominal_id).select_related("run", "nominal").first()
    if result is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type="analytics.nominalresult",
            object_id=f"{run.pk}/{nominal_id}"[:64],
            reason="not found",
        )
        raise Http404
    return JsonResponse(neighbours_data(result=result, request=request))


@login_required
@require_safe
def run_groups(request, run_id: int):
    run = _completed_run(request, run_id)
    form = GroupTableForm(request.GET)
    filters = form.filters()
    page = group_table(run=run, request=request, page=request.GET.get("page", 1), **filters)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "analytics/run_groups.html",
        {"run": run, "form": form, "page": page, "query": query.urlencode(), "sort": filters["sort"]},
    )


@login_required
@require_safe
def run_dismantling(request, run_id: int):
    run = _completed_run(request, run_id)
    context = dismantling_page(run=run, request=request, page=request.GET.get("page", 1))
    return render(request, "analytics/run_dismantling.html", {"run": run, **context})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def run_validation(request, run_id: int):
    run = run_get_for_user(user=request.user, run_id=run_id, request=request)
    items = list(run.validation_items.select_related("record", "reviewed_by"))
    if request.method == "POST":
        verdicts = {"correct": True, "wrong": False, "": None}
        marks = {}
        for item in items:
            value = request.POST.get(f"item-{item.pk}")
            if value is not None and value in verdicts:
                marks[item.pk] = verdicts[value]
        changed = validation_mark(run=run, marks=marks, reviewer=request.user, request=request)
        messages.success(request, f"Saved {changed} verdict(s).")
        return redirect("analytics:run_validation", run_id=run.pk)
    samples = {sample: [item for item in items if item.sample == sample] for sample in ValidationItem.Sample.values}
    return render(
        request,
        "analytics/run_validation.html",
        {"run": run, "report": validation_report(run), "samples": samples},
    )
