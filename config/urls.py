from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from apikeys.login_throttle import ThrottledLoginView
from config import errors, favicon, health
from config.api_docs import SchemaView, SwaggerView
from config.urlhelpers import slash_optional

urlpatterns = [
    path("", include("apikeys.urls")),
    path("", include("trading.urls")),
    path("", include("agents.urls")),
    path("", include("playground.urls")),
    path("admin/", admin.site.urls),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("favicon.ico", favicon.favicon, name="favicon"),
    slash_optional("healthz", health.healthz, name="healthz"),
    slash_optional("readyz", health.readyz, name="readyz"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SwaggerView.as_view(url_name="schema", template_name="api_docs/swagger_ui.html"), name="swagger-ui"),
    path("", RedirectView.as_view(pattern_name="apikey-page", permanent=False), name="home"),
]

# Under /api/ and /playground/ these answer JSON; elsewhere the site's own pages.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
