"""URLs for tests/config/test_error_answers.py: the project's URLconf (and its error
handlers) plus views that crash, under each prefix whose errors have their own shape."""
from django.db import OperationalError
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def crash(request):
    raise RuntimeError("boom with a secret-looking value sk-should-not-show")


def database_down(request):
    raise OperationalError("connection to server at 10.0.0.5 failed: user keyward")


class CrashingApiView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError("boom inside DRF")

    def post(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/test-crash", crash),
    path("api/v1/test-crash-drf", CrashingApiView.as_view()),
    path("api/test-crash", crash),
    path("playground/test-crash", crash),
    path("strategy/webhook/test-crash", crash),
    path("chartink/webhook/test-crash", crash),
    path("test-crash", crash),
    path("api/v1/test-db-down", database_down),
    path("playground/test-db-down", database_down),
    path("test-db-down", database_down),
    *project_urlpatterns,
]
