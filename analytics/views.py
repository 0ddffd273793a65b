from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render

from .forms import BundleUploadForm
from .importing import import_progress
from .models import ImportBatch
from .selectors import (
    import_get_for_user,
    import_list_for_user,
    nominal_get_for_user,
    nominal_list_for_user,
    nominal_records,
)
from .tasks import import_bundle_task


@login_required
def nominal_list(request):
    query = request.GET.get("q", "")[:100]
    nominals, total = nominal_list_for_user(user=request.user, query=query, request=request)
    return render(request, "analytics/nominal_list.html", {"nominals": nominals, "total": total, "q": query})


@login_required
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
def import_detail(request, batch_id: int):
    batch = import_get_for_user(user=request.user, batch_id=batch_id, request=request)
    return render(request, "analytics/import_detail.html", {"batch": batch, "progress": import_progress(batch)})


@login_required
def import_progress_json(request, batch_id: int):
    batch = import_get_for_user(user=request.user, batch_id=batch_id, request=request, record=False)
    return JsonResponse({"status": batch.status, **import_progress(batch)})
