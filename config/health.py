"""An unauthenticated liveness answer, also the baseline the API benchmarks compare to."""
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})
