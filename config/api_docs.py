"""The OpenAPI schema (/api/schema/) and its Swagger UI (/api/docs/), drf-spectacular's
views with their errors in JSON like the rest of /api/."""
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.errors import JsonErrorsMixin


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    pass


class SwaggerView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    pass
