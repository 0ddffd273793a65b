from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UsernameField

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
        fields = ("username", "first_name", "last_name", "email", "agency", "role", "is_active", "is_staff")
        field_classes = {"username": UsernameField}
