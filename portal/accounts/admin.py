from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Agency, User


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    readonly_fields = ["group"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "agency", "role", "is_active"]
    list_filter = ["role", "agency", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("Agency and role", {"fields": ("agency", "role")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Agency and role", {"fields": ("agency", "role")}),)


# Change-log entries carry the before/after values of case and intelligence records. They are
# read in the auditor's workspace, where every read is itself audited, not in the admin site.
def _unregister_auditlog_admin() -> None:
    from auditlog.models import LogEntry

    if admin.site.is_registered(LogEntry):
        admin.site.unregister(LogEntry)


_unregister_auditlog_admin()
