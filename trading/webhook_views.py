"""POST /strategy/webhook/<webhook_id> (TradingView-style alerts) and
POST /chartink/webhook/<webhook_id> (ChartInk scans) for a webhook strategy.

No platform key in the body: the secret webhook id in the URL names the strategy, and
the strategy names the key whose order mode decides. Any content type is read as JSON
(TradingView sends text/plain); answers are OpenAlgo-shaped JSON.
"""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from config.urlhelpers import slash_optional
from trading import orders, webhooks, write_lock
from trading.serializers import OpenAlgoAnswer, OpenAlgoError
from trading.views import OpenAlgoView, queued

_ALERT = inline_serializer("StrategyAlert", {
    "symbol": serializers.CharField(), "action": serializers.CharField(help_text="BUY or SELL"),
    "position_size": serializers.IntegerField(required=False, help_text="required in BOTH mode"),
})


class StrategyWebhookView(OpenAlgoView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    missing_credentials_message = None
    http_method_names = ["post", "options"]

    @extend_schema(
        summary="A TradingView-style alert for a webhook strategy (the secret webhook id names it)",
        tags=["trading"], request={"application/json": _ALERT}, auth=[],
        responses={
            200: OpenAlgoAnswer,
            400: OpenApiResponse(OpenAlgoError, description="Bad alert, inactive strategy, unmapped symbol"),
            404: OpenApiResponse(OpenAlgoError, description='"Invalid webhook ID"'),
            413: OpenApiResponse(OpenAlgoError, description="Body larger than DATA_UPLOAD_MAX_MEMORY_SIZE"),
        },
    )
    def post(self, request, webhook_id: str):
        with write_lock.order_writes():
            routed = webhooks.signal_handle(webhook_id=webhook_id, data=request.data)
        symbol = str(request.data.get("symbol", "")).upper()
        if routed.pending_order is not None:
            return Response(queued(routed.pending_order).body)
        body = {"message": f"Order placed for {symbol}", **(routed.answer or {})}
        return Response(body, status=routed.status)


_SCAN = inline_serializer("ChartinkScan", {
    "stocks": serializers.CharField(help_text="comma-separated symbols, e.g. SBIN,INFY"),
    "trigger_prices": serializers.CharField(required=False, help_text="comma-separated, one per stock (unused)"),
    "scan_name": serializers.CharField(help_text="must contain BUY, SELL, SHORT or COVER"),
    "triggered_at": serializers.CharField(required=False),
    "scan_url": serializers.CharField(required=False),
    "alert_name": serializers.CharField(required=False),
})


def _routed_row(symbol: str, routed: orders.Routed) -> dict:
    if routed.pending_order is not None:
        return {"symbol": symbol, "status": "success", "mode": "semi_auto", "pending_order_id": routed.pending_order.pk}
    return {"symbol": symbol, **(routed.answer or {})}


class ChartinkWebhookView(StrategyWebhookView):
    @extend_schema(
        summary="A ChartInk scan alert for a webhook strategy: the scan name's BUY/SELL/SHORT/COVER acts on "
                "every mapped stock",
        tags=["trading"], request={"application/json": _SCAN}, auth=[],
        responses={
            200: OpenAlgoAnswer,
            400: OpenApiResponse(OpenAlgoError, description="No action keyword, no stocks, no mappings"),
            404: OpenApiResponse(OpenAlgoError, description='"Invalid webhook ID"'),
            413: OpenApiResponse(OpenAlgoError, description="Body larger than DATA_UPLOAD_MAX_MEMORY_SIZE"),
        },
    )
    def post(self, request, webhook_id: str):
        with write_lock.order_writes():
            result = webhooks.chartink_handle(webhook_id=webhook_id, data=request.data)
        if result.inactive:
            return Response({"status": "success", "message": "Strategy is inactive"})
        if not result.routed:
            return Response({"status": "warning", "message": "No orders were placed: no listed stock is mapped",
                             "skipped": result.skipped})
        symbols = ", ".join(symbol for symbol, _ in result.routed)
        return Response({
            "status": "success", "message": f"Orders processed for symbols: {symbols}",
            "results": [_routed_row(symbol, routed) for symbol, routed in result.routed], "skipped": result.skipped,
        })


urlpatterns = [
    slash_optional(r"strategy/webhook/(?P<webhook_id>[^/]+)", StrategyWebhookView.as_view(), name="strategy-webhook"),
    slash_optional(r"chartink/webhook/(?P<webhook_id>[^/]+)", ChartinkWebhookView.as_view(), name="chartink-webhook"),
]
