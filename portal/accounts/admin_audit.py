"""The admin site's actions and reads go to the access trail, like everything else.

Django's admin writes a LogEntry for each add, change and delete, but that log lives next to
the data it describes and keeps no source address. `AuditedAdminMixin` hooks the admin's own
logging methods, which receive the request, so every entry is doubled in the access trail with
the administrator, their address and the admin's change message. A post_save receiver on
LogEntry would not do: deleting several objects at once writes their entries with
bulk_create, which sends no signal, and a receiver has no request.

Change messages name the fields that changed, never their values, so no secret reaches the
trail through them. Every ModelAdmin registered on the site uses this mixin (tests/portal/
test_admin.py checks it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.admin.utils import unquote
from django.http import Http404
from django.template.response import TemplateResponse

from portal.audit.models import AccessAction, AccessEvent
from portal.audit.services import record_access

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    # The mixin's methods extend a ModelAdmin's (it is always put before one in the bases).
    _AdminBase = ModelAdmin[Any]
else:
    _AdminBase = object


class AuditedAdminMixin(_AdminBase):
    """Put before the ModelAdmin class in the bases.

    Also: a missing or malformed object id is a 404 on every object page (Django's admin
    redirects to the index instead, and some third-party views raise DoesNotExist, a 500).
    """

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    # --- writes --------------------------------------------------------------------------------

    def admin_action_record(self, request, obj, *, operation: str, message: str = "") -> AccessEvent:
        """One trail entry for one admin write. Subclasses extend it to raise alerts."""
        return record_access(
            action=AccessAction.ADMIN,
            request=request,
            obj=obj,
            reason=f"admin {operation}",
            detail={"operation": operation, "change_message": message},
        )

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self.admin_action_record(request, obj, operation="add", message=entry.get_change_message())
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self.admin_action_record(request, obj, operation="change", message=entry.get_change_message())
        return entry

    def log_deletions(self, request, queryset):
        # Called before the deletion, so the objects can still be named.
        objects = list(queryset)
        # Django only iterates what it is given; the stubs ask for a queryset, which would be
        # evaluated again.
        entries = super().log_deletions(request, objects)  # type: ignore[arg-type]
        for obj in objects:
            self.admin_action_record(request, obj, operation="delete")
        return entries

    # --- reads ---------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method in ("GET", "HEAD"):
            obj = self.get_object(request, unquote(object_id))
            if self.has_view_or_change_permission(request, obj):
                record_access(action=AccessAction.VIEW, request=request, obj=obj, reason="admin change page")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if self.has_view_or_change_permission(request, obj):
            record_access(action=AccessAction.VIEW, request=request, obj=obj, reason="admin history page")
        return super().history_view(request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if isinstance(response, TemplateResponse) else None
        if changelist is not None:
            shown = [str(obj.pk) for obj in changelist.result_list]
            record_access(
                action=AccessAction.SEARCH if changelist.query else AccessAction.LIST,
                request=request,
                object_type=self.model._meta.label_lower,
                query=changelist.query,
                result_count=len(shown),
                reason="admin list",
                detail={"ids": shown},
            )
        return response
