from agents import views
from config.urlhelpers import slash_optional

urlpatterns = [
    slash_optional("api/v1/agents/news-analyst", views.NewsAnalystView.as_view(), name="agents-news-analyst"),
]
