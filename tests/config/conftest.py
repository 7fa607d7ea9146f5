"""Fixtures for tests that drive Keyward's ASGI handler itself."""
from __future__ import annotations

import pytest

from config.request_threads import ThreadReusingASGIHandler


@pytest.fixture
def handler():
    built = ThreadReusingASGIHandler()
    yield built
    built.threads.close(wait=True)  # kept threads close their database connections


@pytest.fixture
def committed_key(transactional_db, django_user_model) -> str:
    """A platform key committed to the database, so the handler's own threads see it."""
    from apikeys import services

    user = django_user_model.objects.create_user(username="threads", password="x")
    return services.platform_key_regenerate(user=user)[1]
