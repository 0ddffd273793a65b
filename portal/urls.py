from __future__ import annotations

from types import SimpleNamespace

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter, SimpleRouter

from analytics.api import NominalViewSet
from analytics.api_v1 import register as register_analytics_api
from portal.accounts import views as account_views
from safeguarding.api import CaseViewSet, LegacyCaseViewSet
from spoc.api import register as register_spoc_api

from . import health


class ApiDocsView(SpectacularSwaggerSplitView):
    """The API's browsable description, with Swagger UI's files served from our static files."""

    template_name = "analytics/exports/api_docs.html"

    @staticmethod
    def _swagger_ui_resource(filename):
        return static(f"vendor/swagger-ui/{filename}")

    @staticmethod
    def _swagger_ui_favicon():
        return static("vendor/swagger-ui/favicon-32x32.png")


# v1: the pathway API local authorities' case systems read ("case-list", "case-detail",
# "case-transitions").
router_v1 = SimpleRouter()
router_v1.register("cases", CaseViewSet, basename="case")
register_spoc_api(router_v1)  # comms-requests, deal-lines
register_analytics_api(router_v1)  # runs, their groups and people, exports
# The first API, kept for its callers: the same cases through the same code, no pathway steps.
router = DefaultRouter()
router.register("cases", LegacyCaseViewSet, basename="legacy-case")
router.register("nominals", NominalViewSet, basename="nominal")
# The v1 schema describes v1 alone (the first API's paths are in /api/schema/ with the rest).
V1_URLCONF = SimpleNamespace(urlpatterns=[path("api/v1/", include(router_v1.urls))])

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("portal.accounts.urls")),  # /accounts/... and /profile/...
    path("audit/", include("portal.audit.urls")),
    path("", include("analytics.urls")),
    path("", include("safeguarding.urls")),
    path("spoc/", include("spoc.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/schema/", SpectacularAPIView.as_view(urlconf=V1_URLCONF), name="api-v1-schema"),
    # Swagger UI from static/vendor/swagger-ui/ (no CDN); its start-up script is a file of its
    # own (the split view), as the Content-Security-Policy allows no inline script.
    path("api/v1/docs/", ApiDocsView.as_view(url_name="api-v1-schema"), name="api-v1-docs"),
    path("api/v1/", include(router_v1.urls)),
    path("api/", include(router.urls)),
    # One sign-in for everyone: the admin's own form would bypass the address throttle.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
