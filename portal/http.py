"""Response headers every page and API answer carries."""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """`Cache-Control: no-store` (and `private`) on every response the portal itself builds.

    Pages and API answers carry personal data; no browser, proxy or shared computer may keep a
    copy. Static files are served before this middleware (whitenoise) and stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private, max-age=0
        return response
