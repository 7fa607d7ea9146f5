from django.urls import path
from django.views.generic import RedirectView

from config.urlhelpers import slash_optional
from playground import views

urlpatterns = [
    path("playground/", views.PlaygroundPage.as_view(), name="playground"),
    path("playground", RedirectView.as_view(pattern_name="playground", permanent=True)),
    slash_optional("playground/api-key", views.ApiKeyView.as_view(), name="playground-api-key"),
    slash_optional("playground/token", views.TokenView.as_view(), name="playground-token"),
    slash_optional("playground/collections", views.CollectionsView.as_view(), name="playground-collections"),
    slash_optional("playground/endpoints", views.EndpointsView.as_view(), name="playground-endpoints"),
]
