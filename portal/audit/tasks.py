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
    """Verify the whole chain, then each event's subject rows against it; on failure alert the
    auditors, once per distinct fault."""
    outcome = chain.verify_chain()
    if outcome.intact:
        subjects = chain.verify_subjects()
        if subjects.intact:
            return f"{outcome.describe()}; {subjects.describe()}"
        return _alert_once("subjects altered", subjects.fault_seq, subjects.fault_id, subjects.describe())
    return _alert_once(outcome.fault, outcome.fault_seq, outcome.fault_id, outcome.describe())


def _alert_once(fault: str, seq: int | None, event_id: int | None, description: str) -> str:
    detail = {"fault": fault, "chain_seq": seq, "event_id": event_id}
    same = Alert.objects.filter(
        kind=AlertKind.AUDIT_CHAIN, detail__fault=fault, detail__chain_seq=seq, detail__event_id=event_id
    )
    if not same.exists():
        alert_raise(
            kind=AlertKind.AUDIT_CHAIN,
            message=f"The audit trail failed verification: {description}",
            subject_type="audit.accessevent" if event_id is not None else "",
            subject_id=str(event_id) if event_id is not None else "",
            detail=detail,
        )
    return description


@shared_task(name="portal.audit.tasks.evaluate_misuse_rules")
def evaluate_misuse_rules() -> None:
    from portal.audit.misuse import evaluate_rules

    evaluate_rules()
