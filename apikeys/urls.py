from django.urls import path
from rest_framework_simplejwt.views import TokenBlacklistView, TokenObtainPairView, TokenRefreshView

from apikeys import views
from config.urlhelpers import slash_optional

api_urlpatterns = [
    slash_optional("api/v1/apikey", views.PlatformKeyView.as_view(), name="platform-key"),
    slash_optional("api/v1/apikey/mode", views.OrderModeView.as_view(), name="platform-key-mode"),
    slash_optional("api/v1/auth/token", TokenObtainPairView.as_view(), name="token-obtain"),
    slash_optional("api/v1/auth/token/refresh", TokenRefreshView.as_view(), name="token-refresh"),
    slash_optional("api/v1/auth/token/blacklist", TokenBlacklistView.as_view(), name="token-blacklist"),
    slash_optional("api/v1/auth/register", views.RegisterView.as_view(), name="register"),
]

page_urlpatterns = [
    path("apikey/", views.ApiKeyPage.as_view(), name="apikey-page"),
]

urlpatterns = api_urlpatterns + page_urlpatterns
