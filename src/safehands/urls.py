"""Root URL map: pages, the admin and the API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from safehands.accounts import oidc as oidc_views
from safehands.api import api, no_such_endpoint
from safehands.orgs import views as org_views
from safehands.web import account as account_views
from safehands.web import views as web_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("login/", oidc_views.LoginPage.as_view(), name="login"),
    path("oidc/authenticate/", oidc_views.SsoStart.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc_views.SsoCallback.as_view(),
         name="oidc_authentication_callback"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include((account_views.urlpatterns, "accounts"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("charts/vega.js", web_views.vega_bundle, name="vega_bundle"),
    path("favicon.ico", web_views.favicon, name="favicon"),
    path("orgs/", include("safehands.orgs.urls")),
    path("catalogue/", include("safehands.catalogue.urls")),
    path("measurement/", include("safehands.measurement.urls")),
    path("harm/", include("safehands.harm.urls")),
    path("culture/", include("safehands.culture.urls")),
    path("assessment/", include("safehands.assessment.urls")),
    path("events/", include("safehands.events.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", no_such_endpoint),
]

handler403 = "safehands.web.views.denied"
handler404 = "safehands.web.views.not_found"
