"""Group membership follows the user's agency, however the user was saved (service, admin)."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import User
from .services import sync_agency_group


@receiver(post_save, sender=User)
def _user_saved(sender, instance: User, **kwargs) -> None:
    if instance.agency_id:
        sync_agency_group(instance)
