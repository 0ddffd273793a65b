from __future__ import annotations

from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("nominals/", views.nominal_list, name="nominal_list"),
    path("nominals/<str:nominal_id>/", views.nominal_detail, name="nominal_detail"),
]
