from django.urls import path

from apikeys import key_views, login_throttle, vault_views, views
from config.urlhelpers import slash_optional

api_urlpatterns = [
    slash_optional("api/v1/apikey", views.PlatformKeyView.as_view(), name="platform-key"),
    slash_optional("api/v1/apikey/mode", views.OrderModeView.as_view(), name="platform-key-mode"),
    slash_optional("api/v1/platform-keys", key_views.PlatformKeyListView.as_view(), name="platform-keys"),
    slash_optional("api/v1/platform-keys/(?P<key_id>[^/]+)", key_views.PlatformKeyDetailView.as_view(),
                   name="platform-key-detail"),
    slash_optional("api/v1/platform-keys/(?P<key_id>[^/]+)/roll", key_views.PlatformKeyRollView.as_view(),
                   name="platform-key-roll"),
    slash_optional("api/v1/platform-keys/(?P<key_id>[^/]+)/reveal", key_views.PlatformKeyRevealView.as_view(),
                   name="platform-key-reveal"),
    slash_optional("api/v1/platform-keys/(?P<key_id>[^/]+)/events", key_views.PlatformKeyEventsView.as_view(),
                   name="platform-key-events"),
    slash_optional("api/v1/platform-keys/(?P<key_id>[^/]+)/usage", key_views.PlatformKeyUsageView.as_view(),
                   name="platform-key-usage"),
    slash_optional("api/v1/auth/token", login_throttle.ThrottledTokenObtainView.as_view(), name="token-obtain"),
    slash_optional("api/v1/auth/token/refresh", views.TokenRefreshView.as_view(), name="token-refresh"),
    slash_optional("api/v1/auth/token/blacklist", views.TokenBlacklistView.as_view(), name="token-blacklist"),
    slash_optional("api/v1/auth/register", views.RegisterView.as_view(), name="register"),
    # Service key vault (docs/api/vault.md). The test routes come first only for readability: the
    # detail route's id cannot contain "/", so "test-by-id/1" never reaches it.
    slash_optional("api/v1/api-keys/test-by-id/(?P<key_id>[^/]+)", vault_views.ServiceKeyTestByIdView.as_view(),
                   name="service-key-test-by-id"),
    slash_optional("api/v1/api-keys/test-by-type/(?P<key_type>[^/]+)", vault_views.ServiceKeyTestByTypeView.as_view(),
                   name="service-key-test-by-type"),
    slash_optional("api/v1/api-keys/(?P<key_id>[^/]+)", vault_views.ServiceKeyDetailView.as_view(), name="service-key"),
    slash_optional("api/v1/api-keys", vault_views.ServiceKeyListView.as_view(), name="service-keys"),
]

page_urlpatterns = [
    path("apikey/", views.ApiKeyPage.as_view(), name="apikey-page"),
]

urlpatterns = api_urlpatterns + page_urlpatterns
