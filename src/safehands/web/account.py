"""The signed-in user's own account: two-factor set-up and sign-in step, recovery codes,
where the user is signed in, and password change. Every page acts on the signed-in user
only (`self.view`); the devices and codes are kept by `safehands.accounts.twofactor`."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from safehands.accounts import sessions, twofactor
from safehands.accounts.models import RecoveryCodeDevice
from safehands.core.errors import DomainError
from safehands.orgs.access import authorize
from safehands.web.middleware import second_factor_required

app_name = "accounts"


def _next(request: HttpRequest) -> str:
    """Where to go after the step: the `next` asked for, if it is on this site."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return wanted
    return reverse("home")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "self.view")
    user = request.user
    return render(request, "accounts/account.html", {
        "has_second_factor": twofactor.has_second_factor(user),
        "proof_kind": twofactor.current_proof_kind(user),
        "required": second_factor_required(user),
        "codes_left": twofactor.recovery_codes_left(user=user),
        "sessions": sessions.user_sessions(user=user,
                                           current_key=request.session.session_key),
    })


@never_cache
@require_POST
@login_required
def other_sessions_end(request: HttpRequest) -> HttpResponse:
    """Sign out everywhere else, after the password (or a code) once more."""
    authorize(request.user, "self.view")
    try:
        twofactor.reauthenticate(user=request.user, proof=request.POST.get("proof", ""))
    except DomainError as problem:
        messages.error(request, problem.message)
        return redirect("accounts:detail")
    ended = sessions.other_sessions_end(user=request.user,
                                        current_key=request.session.session_key)
    messages.success(request, ngettext("You were signed out of %(n)d other session.",
                                       "You were signed out of %(n)d other sessions.",
                                       ended) % {"n": ended})
    return redirect("accounts:detail")


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Show a new authenticator's secret (QR code and text); confirm it with a first code."""
    authorize(request.user, "self.view")
    device = twofactor.totp_device_start(user=request.user)
    error = ""
    if request.method == "POST":
        try:
            twofactor.factor_change_check(user=request.user,
                                          proof=request.POST.get("proof", ""))
            codes = twofactor.totp_device_confirm(user=request.user, device=device,
                                                  code=request.POST.get("code", ""))
        except DomainError as problem:
            error = problem.message
        else:
            otp_login(request, device)
            request.session.cycle_key()
            return render(request, "accounts/recovery_codes.html",
                          {"codes": codes, "next": _next(request), "first_time": True})
    return render(request, "accounts/two_factor_setup.html", {
        "qr_svg": twofactor.totp_qr_svg(device),
        "secret": twofactor.totp_secret_text(device),
        "replacing": twofactor.has_second_factor(request.user),
        "proof_kind": twofactor.current_proof_kind(request.user),
        "required": second_factor_required(request.user),
        "error": error,
        "next": _next(request),
    }, status=400 if error else 200)


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second sign-in step: a code from the authenticator app, or a recovery code."""
    authorize(request.user, "self.view")
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    if not twofactor.has_second_factor(user):
        return redirect(f"{reverse('accounts:two_factor_setup')}?"
                        f"{urlencode({'next': _next(request)})}")
    error = ""
    if request.method == "POST":
        try:
            device = twofactor.second_factor_verify(user=user, code=request.POST.get("code", ""))
        except DomainError as problem:
            error = problem.message
        else:
            otp_login(request, device)
            request.session.cycle_key()
            if isinstance(device, RecoveryCodeDevice):
                left = twofactor.recovery_codes_left(user=user)
                messages.warning(request, ngettext(
                    "You signed in with a recovery code; %(n)d is left. Make new ones from "
                    "your account page.",
                    "You signed in with a recovery code; %(n)d are left. Make new ones from "
                    "your account page.", left) % {"n": left})
            return redirect(_next(request))
    return render(request, "accounts/two_factor_verify.html",
                  {"error": error, "next": _next(request)}, status=400 if error else 200)


@never_cache
@require_POST
@login_required
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "self.view")
    try:
        twofactor.factor_change_check(user=request.user, proof=request.POST.get("proof", ""))
        codes = twofactor.recovery_codes_regenerate(user=request.user)
    except DomainError as problem:
        messages.error(request, problem.message)
        return redirect("accounts:detail")
    return render(request, "accounts/recovery_codes.html",
                  {"codes": codes, "next": reverse("accounts:detail"), "first_time": False})


@method_decorator(login_required, name="dispatch")
class PasswordChange(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:detail")

    def dispatch(self, request, *args, **kwargs):
        authorize(request.user, "self.view")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        messages.success(self.request, _("Your password is changed."))
        return super().form_valid(form)


urlpatterns = [
    path("", account, name="detail"),
    path("two-factor/setup/", two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", two_factor_verify, name="two_factor_verify"),
    path("two-factor/recovery-codes/", recovery_codes_regenerate, name="recovery_codes"),
    path("sessions/end-others/", other_sessions_end, name="sessions_end_others"),
    path("password/", PasswordChange.as_view(), name="password_change"),
]
