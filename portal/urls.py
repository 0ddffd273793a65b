from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter, SimpleRouter

from analytics.api import NominalViewSet
from portal.accounts import views as account_views
from safeguarding.api import CaseViewSet, LegacyCaseViewSet
from spoc.api import register as register_spoc_api

from . import health

# v1: the pathway API local authorities' case systems read ("case-list", "case-detail",
# "case-transitions").
router_v1 = SimpleRouter()
router_v1.register("cases", CaseViewSet, basename="case")
register_spoc_api(router_v1)  # comms-requests, deal-lines
# The first API, kept for its callers: the same cases through the same code, no pathway steps.
router = DefaultRouter()
router.register("cases", LegacyCaseViewSet, basename="legacy-case")
router.register("nominals", NominalViewSet, basename="nominal")

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("portal.accounts.urls")),  # /accounts/... and /profile/...
    path("audit/", include("portal.audit.urls")),
    path("", include("analytics.urls")),
    path("", include("safeguarding.urls")),
    path("spoc/", include("spoc.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include(router_v1.urls)),
    path("api/", include(router.urls)),
    # One sign-in for everyone: the admin's own form would bypass the address throttle.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
