from __future__ import annotations

from auditlog.context import set_actor
from celery import shared_task

from .importing import bundle_import
from .models import ImportBatch


@shared_task
def import_bundle_task(batch_id: int) -> str:
    """Import the files saved for batch `batch_id`; the batch records the outcome."""
    batch = ImportBatch.objects.select_related("imported_by").get(pk=batch_id)
    with set_actor(batch.imported_by):
        batch = bundle_import(batch=batch, path=batch.source_path)
    return batch.status


@shared_task
def run_analysis_task(run_id: int) -> str:
    """Execute analysis run `run_id`; changes it makes are logged as its requester's."""
    from .analysis import analysis_run_execute
    from .models import AnalysisRun

    run = AnalysisRun.objects.select_related("requested_by", "term_version", "harm_table").get(pk=run_id)
    with set_actor(run.requested_by):
        run = analysis_run_execute(run=run)
    return run.status
