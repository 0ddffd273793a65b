from __future__ import annotations

from django.urls import path

from . import views

app_name = "spoc"
urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<int:request_id>/edit/", views.request_edit, name="request_edit"),
    path("requests/<int:request_id>/step/<str:to>/", views.request_step, name="request_step"),
    path("requests/<int:request_id>/responses/", views.response_upload, name="response_upload"),
    path("requests/<int:request_id>/confirm/", views.urgent_confirm, name="urgent_confirm"),
    path("requests/<int:request_id>/errors/", views.error_create, name="error_create"),
    path("responses/<int:response_id>/", views.response_download, name="response_download"),
    path("errors/", views.error_list, name="error_list"),
    path("errors/<int:error_id>/review/", views.error_review, name="error_review"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("inspection/", views.inspection, name="inspection"),
    path("inspection.csv", views.inspection_csv, name="inspection_csv"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("lines/", views.line_list, name="line_list"),
    path("lines/new/", views.line_create, name="line_create"),
    path("lines/<int:line_id>/", views.line_detail, name="line_detail"),
    path("lines/<int:line_id>/edit/", views.line_edit, name="line_edit"),
    path("lines/<int:line_id>/status/", views.line_status, name="line_status"),
]
