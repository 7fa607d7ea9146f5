"""URLs for tests/config/test_request_threads.py and test_request_turns.py: a view that
blocks until released, one that answers at once, one that goes through async code back
to sync code, and one that tests a NewsAPI key (an outbound call to NEWS_API_BASE_URL)."""
import threading

from asgiref.sync import async_to_sync, sync_to_async
from django.http import HttpResponse
from django.urls import path

entered, release = threading.Event(), threading.Event()
view_threads: list[int] = []


def slow(request):
    view_threads.append(threading.get_ident())
    entered.set()
    release.wait(10)
    return HttpResponse("slow")


def fast(request):
    view_threads.append(threading.get_ident())
    return HttpResponse("fast")


def nested(request):
    outer = threading.get_ident()

    async def hop():
        return await sync_to_async(threading.get_ident)()

    inner = async_to_sync(hop)()
    return HttpResponse("same-thread" if inner == outer else "other-thread")


def provider(request):
    from apikeys import providers

    result = providers.get("news_api").test("3f1c6b7e9a2d4c8b9e0f1a2b3c4d5e6f")
    return HttpResponse(result.error_code or "ok")


urlpatterns = [path("slow", slow), path("fast", fast), path("nested", nested), path("provider", provider)]
