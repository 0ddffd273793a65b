"""The pathway's reference data, run by the administrator: which SOCEx hub covers which local
authority (and who its officers are), each authority's timescales, and the managed list of
disruption tactics. No case data is registered here."""

from __future__ import annotations

from django.contrib import admin

from portal.accounts.admin_audit import AuditedAdminMixin

from .models import DisruptionTacticKind, HubCoverage, SocexHub, Timescales


class HubCoverageInline(admin.TabularInline):
    model = HubCoverage
    extra = 0


@admin.register(SocexHub)
class SocexHubAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code"]
    filter_horizontal = ["officers"]
    inlines = [HubCoverageInline]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cases point at their hub; a hub is re-scoped through its coverage


@admin.register(Timescales)
class TimescalesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "local_authority",
        "police_review_days",
        "mash_decision_days",
        "strategy_discussion_days",
        "contextual_meeting_days",
        "nrm_reasonable_grounds_days",
    ]


@admin.register(DisruptionTacticKind)
class DisruptionTacticKindAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "active"]
    list_filter = ["active"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # tactics on record point at their kind: retire one by unticking "active"
