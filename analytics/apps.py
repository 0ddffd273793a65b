from __future__ import annotations

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Police records and network analysis"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        for model in (
            models.Nominal,
            models.Record,
            models.RecordNominal,
            models.Association,
            models.SocMembership,
            models.SearchTermVersion,
        ):
            auditlog.register(model)
        # Who imported what is itself evidence; the per-file details live in `files`.
        auditlog.register(models.ImportBatch, exclude_fields=["progress"])
