from __future__ import annotations

from django.urls import path

from . import export_urls, views

app_name = "analytics"
urlpatterns = [
    path("nominals/", views.nominal_list, name="nominal_list"),
    path("nominals/<str:nominal_id>/", views.nominal_detail, name="nominal_detail"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:batch_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:batch_id>/progress/", views.import_progress_json, name="import_progress"),
    path("analysis/terms/", views.term_list, name="term_list"),
    path("analysis/terms/edit/", views.term_edit, name="term_edit"),
    path("analysis/runs/", views.run_list, name="run_list"),
    path("analysis/runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("analysis/runs/<int:run_id>/progress/", views.run_progress_json, name="run_progress"),
    path("analysis/runs/<int:run_id>/cancel/", views.run_cancel, name="run_cancel"),
    path("analysis/runs/<int:run_id>/document.json", views.run_document, name="run_document"),
    path("analysis/runs/<int:run_id>/nominals/<str:nominal_id>/", views.run_nominal, name="run_nominal"),
    path("analysis/runs/<int:run_id>/groups/<int:group>/", views.run_group, name="run_group"),
    path("analysis/runs/<int:run_id>/validation/", views.run_validation, name="run_validation"),
    path("analysis/runs/<int:run_id>/network/", views.run_network, name="run_network"),
    path(
        "analysis/runs/<int:run_id>/nominals/<str:nominal_id>/neighbours.json",
        views.run_nominal_neighbours_json,
        name="run_nominal_neighbours",
    ),
    path("analysis/runs/<int:run_id>/groups/", views.run_groups, name="run_groups"),
    path("analysis/runs/<int:run_id>/dismantling/", views.run_dismantling, name="run_dismantling"),
    *export_urls.urlpatterns,
]
