"""OpenAlgo's account endpoints beyond funds and the books: holdings, margin, analyzer,
analyzer/toggle and pnl/symbols. Reads: they run in any order mode."""
from __future__ import annotations

from decimal import Decimal

from rest_framework.response import Response

from apikeys import scopes
from trading import broker, margins
from trading import order_serializers as inputs
from trading import serializers as s
from trading.errors import TradingError
from trading.models import Order
from trading.views import OpenAlgoView, _docs


def _round2(value: Decimal) -> float:
    return float(Decimal(value).quantize(Decimal("0.01")))


@_docs("My settled delivery holdings (CNC buys of earlier days) with P&L", s.OpenAlgoAnswer)
class HoldingsView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT

    def answer(self, request):
        rows = broker.holdings_list(user=request.user)
        holdings, invested, value = [], Decimal(0), Decimal(0)
        for v in rows:
            cost = v.holding.quantity * v.holding.average_price
            invested += cost
            value += cost + v.pnl
            holdings.append({
                "symbol": v.holding.symbol, "exchange": v.holding.exchange, "product": "CNC",
                "quantity": v.holding.quantity, "pnl": _round2(v.pnl),
                "pnlpercent": _round2(v.pnl * 100 / cost) if cost else 0.0,
            })
        pnl = value - invested
        return Response({"status": "success", "data": {
            "holdings": holdings,
            "statistics": {
                "totalholdingvalue": _round2(value), "totalinvvalue": _round2(invested),
                "totalprofitandloss": _round2(pnl),
                "totalpnlpercentage": _round2(pnl * 100 / invested) if invested else 0.0,
            },
        }})


@_docs("Margin a basket of positions needs, by the sandbox's leverage rules", s.OpenAlgoAnswer,
       request=inputs.MarginInput, get_too=False)
class MarginView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT
    input_serializer = inputs.MarginInput

    def answer(self, request):
        total = Decimal(0)
        for p in self.validated(request)["positions"]:
            price = margins.reference_price(symbol=p["symbol"], exchange=p["exchange"], action=p["action"],
                                            pricetype=p["pricetype"], price=p["price"],
                                            trigger_price=p["trigger_price"])
            total += margins.margin_required(symbol=p["symbol"], exchange=p["exchange"], product=p["product"],
                                             action=p["action"], quantity=p["quantity"], price=price)
        total_float = float(total)
        return Response({"status": "success", "data": {
            "total_margin_required": total_float, "span_margin": 0.0, "exposure_margin": total_float,
        }})


@_docs("My P&L for today per position: unrealised, realised by today's fills, and their sum", s.OpenAlgoAnswer)
class PnlSymbolsView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT

    def answer(self, request):
        rows = broker.pnl_by_symbol(user=request.user)
        data = [{
            "symbol": r.position.symbol, "exchange": r.position.exchange, "product": r.position.product,
            "quantity": r.position.quantity, "pnl": _round2(r.total_today), "unrealized_pnl": _round2(r.unrealized),
            "today_realized_pnl": _round2(r.today_realized), "total_pnl_today": _round2(r.total_today),
        } for r in rows]
        unrealized = sum((r.unrealized for r in rows), Decimal(0))
        realized = sum((r.today_realized for r in rows), Decimal(0))
        return Response({
            "status": "success", "data": data, "total_pnl": _round2(unrealized + realized),
            "total_unrealized_pnl": _round2(unrealized), "total_today_realized_pnl": _round2(realized),
            "total_pnl_today": _round2(unrealized + realized), "mode": "analyze",
        })


def _analyzer_data(user) -> dict:
    """Keyward is always the sandbox: analyze mode on, its log the user's sandbox orders."""
    return {"analyze_mode": True, "mode": "analyze", "total_logs": Order.objects.filter(user=user).count()}


@_docs("Analyzer (sandbox) status: always on here, with the count of sandbox orders", s.OpenAlgoAnswer)
class AnalyzerView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT

    def answer(self, request):
        return Response({"status": "success", "data": _analyzer_data(request.user)})


@_docs("Analyzer toggle: mode true is accepted (already on); live mode does not exist here", s.OpenAlgoAnswer,
       request=inputs.AnalyzerToggleInput, get_too=False)
class AnalyzerToggleView(OpenAlgoView):
    required_scope = scopes.WRITE_ORDERS
    input_serializer = inputs.AnalyzerToggleInput

    def answer(self, request):
        if not self.validated(request)["mode"]:
            raise TradingError(
                "Live mode is not available: Keyward is a paper broker, every order stays in the sandbox"
            )
        return Response({"status": "success", "data": {
            **_analyzer_data(request.user), "message": "Analyzer mode switched to analyze",
        }})


ENDPOINTS = {
    "holdings": HoldingsView,
    "margin": MarginView,
    "analyzer": AnalyzerView,
    "analyzer/toggle": AnalyzerToggleView,
    "pnl/symbols": PnlSymbolsView,
}
