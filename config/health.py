"""Unauthenticated probes for load balancers and process managers.

``/healthz`` is liveness: the process answers HTTP, nothing else is touched (a database
outage must not get every process restarted). It is also the baseline the API
benchmarks compare to. ``/readyz`` is readiness: the database answers a read of a
table every install has (django_migrations: the file opens, the schema is there), so a
balancer stops sending traffic to a process that could only fail.
"""
import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@require_safe  # GET, and HEAD for balancers that probe with it
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM django_migrations LIMIT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        # The exception's text can name hosts and users: it stays in the log.
        logger.warning("readiness check: database unavailable (%s)", type(exc).__name__)
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
