"""The SPoC liaison API under /api/v1/ (comms-requests, deal-lines)."""

from __future__ import annotations


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
