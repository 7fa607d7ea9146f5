from django.urls import path

from apikeys import login_throttle, vault_views, views
from config.urlhelpers import slash_optional

api_urlpatterns = [
    slash_optional("api/v1/apikey", views.PlatformKeyView.as_view(), name="platform-key"),
    slash_optional("api/v1/apikey/mode", views.OrderModeView.as_view(), name="platform-key-mode"),
    slash_optional("api/v1/auth/token", login_throttle.ThrottledTokenObtainView.as_view(), name="token-obtain"),
    slash_optional("api/v1/auth/token/refresh", views.TokenRefreshView.as_view(), name="token-refresh"),
    slash_optional("api/v1/auth/token/blacklist", views.TokenBlacklistView.as_view(), name="token-blacklist"),
    slash_optional("api/v1/auth/register", views.RegisterView.as_view(), name="register"),
    # Service key vault (SPEC §1). The test routes come first only for readability: the
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
