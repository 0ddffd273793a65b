"""What every API endpoint shares: bounded JSON bodies, and refusals recorded in the trail."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.views import exception_handler as drf_exception_handler

from portal.audit.models import AccessAction
from portal.audit.services import record_access


def _depth_exceeds(value, limit: int) -> bool:
    """True when `value` nests lists or objects more than `limit` deep (walked without
    recursion, so the check itself cannot overflow the stack)."""
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        children: Iterable[Any]
        if isinstance(current, dict):
            children = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """JSON bodies of at most API_MAX_BODY_BYTES, nested at most API_MAX_JSON_DEPTH deep.

    DRF reads the stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never applies; and a
    deeply nested body made the decoder raise RecursionError (a 500). Both are a 400 here.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise exceptions.ParseError(f"The request body is larger than {limit:,} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(body.decode(encoding))
        except RecursionError:
            data = None
            too_deep = True
        except (ValueError, UnicodeDecodeError) as error:
            raise exceptions.ParseError(f"The body is not valid JSON: {error}") from None
        else:
            too_deep = _depth_exceeds(data, settings.API_MAX_JSON_DEPTH)
        if too_deep:
            raise exceptions.ParseError(
                f"The body nests lists or objects more than {settings.API_MAX_JSON_DEPTH} levels deep."
            )
        return data


_REFUSALS = (exceptions.NotAuthenticated, exceptions.AuthenticationFailed, exceptions.PermissionDenied)


def exception_handler(exc, context):
    """DRF's handler, after recording refusals that happen before any view code runs
    (anonymous callers, bad tokens, throttled or two-factor-less tokens)."""
    request = context.get("request")
    if isinstance(exc, _REFUSALS) and request is not None:
        # The authenticated user if DRF got that far; never re-run authentication here.
        user = getattr(request, "_user", None)
        record_access(
            action=AccessAction.REFUSED,
            request=getattr(request, "_request", request),
            actor=user if user is not None and user.is_authenticated else None,
            reason=f"api: {exc.detail}"[:500],
        )
    return drf_exception_handler(exc, context)
