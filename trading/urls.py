"""Sandbox trading API (OpenAlgo paths, with or without a trailing slash), the webhook
URLs, and the Action Center and strategies pages."""
from django.urls import path

from config.urlhelpers import slash_optional
from trading import account_views, data_views, order_views, strategy_pages, unsupported, views, webhook_views

_ENDPOINTS = {
    "ping": views.PingView,
    "placeorder": views.PlaceOrderView,
    "orderstatus": views.OrderStatusView,
    "orderbook": views.OrderBookView,
    "cancelorder": views.CancelOrderView,
    "tradebook": views.TradeBookView,
    "positionbook": views.PositionBookView,
    "funds": views.FundsView,
    "quotes": views.QuotesView,
    "depth": views.DepthView,
    "pendingorders": views.PendingOrdersView,
    **order_views.ENDPOINTS,
    **account_views.ENDPOINTS,
    **data_views.ENDPOINTS,
}

api_urlpatterns = [
    slash_optional(f"api/v1/{name}", view.as_view(), name=f"trading-{name}") for name, view in _ENDPOINTS.items()
]
# Any id segment reaches the views, which answer a non-numeric one with the same JSON 404
# as a missing order (a narrower route would leave it to Django's HTML 404 page).
api_urlpatterns += [
    slash_optional(
        r"api/v1/pendingorders/(?P<pending_order_id>[^/]+)/approve", views.ApproveView.as_view(),
        name="trading-pendingorder-approve",
    ),
    slash_optional(
        r"api/v1/pendingorders/(?P<pending_order_id>[^/]+)/reject", views.RejectView.as_view(),
        name="trading-pendingorder-reject",
    ),
]

page_urlpatterns = [
    path("action-center/", views.ActionCenterPage.as_view(), name="action-center"),
    *strategy_pages.urlpatterns,
]

urlpatterns = api_urlpatterns + unsupported.urlpatterns + webhook_views.urlpatterns + page_urlpatterns
