from __future__ import annotations

from django.apps import AppConfig


class SafeguardingConfig(AppConfig):
    name = "safeguarding"
    verbose_name = "Safeguarding"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from analytics.signals import run_succeeded

        from . import models
        from .identification import cases_from_run

        auditlog.register(models.Case)
        auditlog.register(models.Consent, m2m_fields={"agencies"})
        for model in (
            models.Screening,
            models.Meeting,
            models.DisruptionTactic,
            models.MonitoringReview,
            models.NrmReferral,
            models.LinkedInvestigation,
            models.Timescales,
            models.HubCoverage,
        ):
            auditlog.register(model)

        def _open_cases(sender, run, **kwargs) -> None:
            cases_from_run(run=run)

        run_succeeded.connect(_open_cases, dispatch_uid="safeguarding.cases_from_run", weak=False)
