"""Password guessing is throttled per client IP, on the JWT endpoint and the sign-in form
alike (scope ``login``, rate ``THROTTLE_LOGIN``).

DRF's ``SimpleRateThrottle`` does the counting in the shared cache (Redis when
configured, so every process counts together); the form view reuses it rather than a
second hand-written counter. Every attempt counts, not only failures: a correct password
from an address that is guessing does not get through either.
"""
from __future__ import annotations

from django.contrib.auth.views import LoginView
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenObtainPairView

from apikeys.serializers import DetailError
from apikeys.views import TOKEN_ERRORS
from config.throttling import PerAddressThrottle

TOO_MANY = "Too many sign-in attempts from your address. Wait a minute and try again."


class LoginRateThrottle(PerAddressThrottle):
    scope = "login"


@extend_schema_view(post=extend_schema(
    summary="Sign in: exchange a username and password for a JWT pair",
    responses={
        200: TokenObtainPairSerializer, **TOKEN_ERRORS,
        429: OpenApiResponse(DetailError, description="Too many sign-in attempts from this address (THROTTLE_LOGIN)"),
    },
    tags=["auth"],
))
class ThrottledTokenObtainView(TokenObtainPairView):
    throttle_classes = [LoginRateThrottle]


class ThrottledLoginView(LoginView):
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if not LoginRateThrottle().allow_request(request, self):
            form = self.get_form()
            form.errors.clear()
            response = self.render_to_response(self.get_context_data(form=form, throttled=TOO_MANY))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)
