from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apikeys.login_throttle import ThrottledLoginView
from config import health
from config.urlhelpers import slash_optional

urlpatterns = [
    path("", include("apikeys.urls")),
    path("", include("trading.urls")),
    path("", include("agents.urls")),
    path("", include("playground.urls")),
    path("admin/", admin.site.urls),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    slash_optional("healthz", health.healthz, name="healthz"),
    slash_optional("readyz", health.readyz, name="readyz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs/swagger_ui.html"), name="swagger-ui"),
    path("", RedirectView.as_view(pattern_name="apikey-page", permanent=False), name="home"),
]
