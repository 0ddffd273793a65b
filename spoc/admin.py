"""The SPoC liaison's reference data, run by the administrator: the service levels by category,
for every provider (no provider) or one. No request, response or deal line is registered here."""

from __future__ import annotations

from django.contrib import admin

from portal.accounts.admin_audit import AuditedAdminMixin

from .models import ServiceLevel


@admin.register(ServiceLevel)
class ServiceLevelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["provider", "category", "acknowledge_amount", "acknowledge_unit", "fulfil_amount", "fulfil_unit"]
    list_filter = ["category", "provider"]
