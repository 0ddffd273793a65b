"""Account pages. Mounted at the site root (portal/urls.py) because they live under two
prefixes: sign-in and its steps under /accounts/, which the two-factor check lets through
(nobody is verified yet), and the profile under /profile/, which it covers (the profile creates
API tokens). One include keeps them in the one `accounts` namespace."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", views.two_factor, name="two_factor"),
    path("accounts/password/set/done/", views.PasswordSetDoneView.as_view(), name="password_set_done"),
    path("accounts/password/set/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password_set"),
    path("profile/", views.profile, name="profile"),
    path("profile/token/", views.token_create, name="token_create"),
    path("profile/token/revoke/", views.token_revoke, name="token_revoke"),
]
