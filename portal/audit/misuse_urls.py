"""The misuse rules, alerts and their review, and subject markers (included by urls.py)."""

from __future__ import annotations

from django.urls import path

from . import misuse_views

urlpatterns: list = [
    path("alerts/", misuse_views.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/", misuse_views.alert_detail, name="alert_detail"),
    path("alerts/report/", misuse_views.report, name="alert_report"),
    path("rules/", misuse_views.rule_list, name="rule_list"),
    path("markers/", misuse_views.marker_list, name="marker_list"),
    path("markers/<int:marker_id>/remove/", misuse_views.marker_remove, name="marker_remove"),
]
