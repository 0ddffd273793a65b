from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth.forms import UsernameField
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.text import normalise_postcode

from .models import User


class TokenForm(forms.Form):
    token = forms.RegexField(
        regex=r"^\d{6}$",
        label="Six-digit code from your authenticator app",
        error_messages={"invalid": "Enter the six digits your authenticator app shows, with no spaces."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class AccountCreateForm(forms.ModelForm):
    """The administration form for a new account. It takes no password: the account starts with
    an unusable one and its holder sets their own from an e-mailed link, so no administrator
    ever knows it. An address is required for that link."""

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "agency", "role")
        field_classes = {"username": UsernameField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = "The link to set the password is sent here, and only here."

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class AccountChangeForm(forms.ModelForm):
    """The administration form for an existing account: no password (set by its holder from a
    link), no groups or permissions (membership follows the agency, see signals), no superuser
    flag (made from the command line only)."""

    class Meta:
        model = User
        fields = (
            "username",
            "first_name",
            "last_name",
            "email",
            "agency",
            "role",
            "is_active",
            "is_staff",
            "date_of_birth",
            "home_postcode",
        )
        field_classes = {"username": UsernameField}
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def clean_date_of_birth(self) -> date | None:
        born = self.cleaned_data.get("date_of_birth")
        if born is not None and not date(1900, 1, 1) <= born < timezone.localdate():
            raise ValidationError("Enter the date of birth on the person's vetting record: a date in the past.")
        return born

    def clean_home_postcode(self) -> str:
        return normalise_postcode(self.cleaned_data.get("home_postcode", ""))
