"""Periodic work on the access trail (beat schedule in portal/settings/base.py)."""

from __future__ import annotations

from celery import shared_task

from . import chain
from .models import Alert, AlertKind
from .services import alert_raise


@shared_task(name="portal.audit.tasks.chain_pending")
def chain_pending() -> int:
    """Chain the access events no post-commit pass reached."""
    return chain.chain_pending(wait=True)


@shared_task(name="portal.audit.tasks.verify_chain")
def verify_chain() -> str:
    """Verify the whole chain; on failure alert the auditors, once per distinct fault."""
    outcome = chain.verify_chain()
    if outcome.intact:
        return outcome.describe()
    detail = {"fault": outcome.fault, "chain_seq": outcome.fault_seq, "event_id": outcome.fault_id}
    same = Alert.objects.filter(
        kind=AlertKind.AUDIT_CHAIN,
        detail__fault=outcome.fault,
        detail__chain_seq=outcome.fault_seq,
        detail__event_id=outcome.fault_id,
    )
    if not same.exists():
        alert_raise(
            kind=AlertKind.AUDIT_CHAIN,
            message=f"The audit trail failed verification: {outcome.describe()}",
            subject_type="audit.accessevent" if outcome.fault_id is not None else "",
            subject_id=str(outcome.fault_id) if outcome.fault_id is not None else "",
            detail=detail,
        )
    return outcome.describe()


@shared_task(name="portal.audit.tasks.evaluate_misuse_rules")
def evaluate_misuse_rules() -> None:
    from portal.audit.misuse import evaluate_rules

    evaluate_rules()
