"""The header's count of unread notifications, on every page a signed-in person sees."""

from __future__ import annotations

from .models import Notification


def notifications(request) -> dict:
    """`unread_notifications`: how many of the signed-in person's own notifications are unread.
    Nothing for anyone signed out (the sign-in page has no header menu)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": Notification.objects.filter(recipient=user, read_at__isnull=True).count()}
