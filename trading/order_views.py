"""OpenAlgo's order endpoints beyond placeorder/cancelorder: placesmartorder,
basketorder, splitorder (executed or queued by order mode), modifyorder,
cancelallorder, closeposition (refused unless the key is in auto mode, as OpenAlgo
refuses them in semi-auto) and openposition (a read).

Thin, like views.py: each view names its serializer and its one action; validation,
the order-mode rules and Idempotency-Key handling are views.OrderCallView's, written once.
"""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework.response import Response

from apikeys import scopes
from trading import broker, gtt, idempotency, order_kinds, orders
from trading import order_serializers as inputs
from trading import serializers as s
from trading.errors import NotFound
from trading.idempotency import Answer
from trading.views import _ERRORS, AutoOnlyOrderView, OpenAlgoView, OrderCallView, _docs, queued

_REFUSED_IN_SEMI_AUTO = {
    **_ERRORS, 403: OpenApiResponse(s.OpenAlgoError, description="Invalid key, or the key is in semi_auto mode"),
    404: OpenApiResponse(s.OpenAlgoError, description="No such order or GTT of yours"),
}


class RoutedOrderView(OrderCallView):
    """An order-placing call (an ``order_kinds`` kind): executes in auto mode, queues otherwise."""

    def order_data(self, request, data: dict) -> dict:
        """What is executed now or queued: the validated request (options orders resolve
        their legs into orders here)."""
        return data

    def act(self, request, data: dict) -> Answer:
        routed = orders.order_route(
            user=request.user, key_id=self.key_id(request), api_type=self.api_type,
            data=order_kinds.jsonable({k: v for k, v in self.order_data(request, data).items() if k != idempotency.BODY_FIELD}),
        )
        if routed.pending_order is not None:
            return queued(routed.pending_order)
        assert routed.answer is not None  # not queued, so executed
        return Answer(routed.status, routed.answer)


@_docs("Place an order that takes the net position to position_size (auto: executes; semi_auto: queued)",
       s.OpenAlgoAnswer, request=inputs.SmartOrderInput, get_too=False)
class PlaceSmartOrderView(RoutedOrderView):
    input_serializer = inputs.SmartOrderInput
    api_type = "placesmartorder"


@_docs("Place several orders at once, BUYs first (auto: executes; semi_auto: queued as one)",
       s.OpenAlgoAnswer, request=inputs.BasketOrderInput, get_too=False)
class BasketOrderView(RoutedOrderView):
    input_serializer = inputs.BasketOrderInput
    api_type = "basketorder"


@_docs("Place a quantity as orders of splitsize each (auto: executes; semi_auto: queued as one)",
       s.OpenAlgoAnswer, request=inputs.SplitOrderInput, get_too=False)
class SplitOrderView(RoutedOrderView):
    input_serializer = inputs.SplitOrderInput
    api_type = "splitorder"


@_docs("Modify an open order's quantity and prices (refused in semi_auto)", s.OpenAlgoAnswer,
       request=inputs.ModifyOrderInput, get_too=False, errors=_REFUSED_IN_SEMI_AUTO)
class ModifyOrderView(AutoOnlyOrderView):
    input_serializer = inputs.ModifyOrderInput
    api_type = "modifyorder"

    def change(self, request, data: dict) -> Answer:
        order = broker.order_modify(
            user=request.user, orderid=data["orderid"], quantity=data["quantity"], price=data["price"],
            trigger_price=data["trigger_price"], disclosed_quantity=data["disclosed_quantity"],
        )
        return Answer(200, {"status": "success", "orderid": order.orderid})


@_docs("Cancel every open order (refused in semi_auto)", s.OpenAlgoAnswer, request=inputs.StrategyOnlyInput,
       get_too=False, errors=_REFUSED_IN_SEMI_AUTO)
class CancelAllOrderView(AutoOnlyOrderView):
    input_serializer = inputs.StrategyOnlyInput
    api_type = "cancelallorder"

    def change(self, request, data: dict) -> Answer:
        result = broker.orders_cancel_all(user=request.user)
        if not result.cancelled and not result.failed:
            message = "No open orders to cancel"
        else:
            message = f"Canceled {len(result.cancelled)} orders. Failed to cancel {len(result.failed)} orders."
        return Answer(200, {
            "status": "success", "message": message, "canceled_orders": result.cancelled,
            "failed_cancellations": result.failed,
        })


@_docs("Close every open position, or the one named, at market (refused in semi_auto)", s.OpenAlgoAnswer,
       request=inputs.ClosePositionInput, get_too=False, errors=_REFUSED_IN_SEMI_AUTO)
class ClosePositionView(AutoOnlyOrderView):
    input_serializer = inputs.ClosePositionInput
    api_type = "closeposition"

    def change(self, request, data: dict) -> Answer:
        only = {name: data[name] for name in ("symbol", "exchange", "product") if name in data}
        closing = broker.positions_close_all(user=request.user, strategy=data["strategy"], **only)
        if only:  # one position, OpenAlgo's sandbox answers
            if not closing:
                raise NotFound(f"No open position found for {only['symbol']}")
            body, status = order_kinds.order_answer(closing[0])
            if status == 200:
                body["message"] = f"Position close order placed for {only['symbol']}"
            return Answer(status, body)
        if not closing:
            return Answer(200, {"status": "success", "message": "No open positions to close"})
        failed = sum(1 for order in closing if order.status == "rejected")
        message = f"Closed {len(closing) - failed} positions"
        if failed:
            message += f" (Failed to close {failed} positions)"
        return Answer(200, {
            "status": "success", "message": message, "closed_positions": len(closing) - failed,
            "failed_closures": failed,
        })


@_docs("Net quantity of one position, as a string", s.OpenAlgoAnswer, request=inputs.OpenPositionInput)
class OpenPositionView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT
    input_serializer = inputs.OpenPositionInput

    def answer(self, request):
        data = self.validated(request)
        quantity = broker.position_quantity(
            user=request.user, symbol=data["symbol"], exchange=data["exchange"], product=data["product"]
        )
        return Response({"status": "success", "quantity": str(quantity)})


ENDPOINTS = {
    "placesmartorder": PlaceSmartOrderView,
    "basketorder": BasketOrderView,
    "splitorder": SplitOrderView,
    "modifyorder": ModifyOrderView,
    "cancelallorder": CancelAllOrderView,
    "closeposition": ClosePositionView,
    "openposition": OpenPositionView,
}


# --- GTT ---------------------------------------------------------------------------------

@_docs("Place a GTT, SINGLE or OCO (auto: active at once; semi_auto: queued)", s.OpenAlgoAnswer,
       request=inputs.PlaceGttInput, get_too=False)
class PlaceGttOrderView(RoutedOrderView):
    input_serializer = inputs.PlaceGttInput
    api_type = "placegttorder"


@_docs("Replace an active GTT's prices and order (refused in semi_auto)", s.OpenAlgoAnswer,
       request=inputs.ModifyGttInput, get_too=False, errors=_REFUSED_IN_SEMI_AUTO)
class ModifyGttOrderView(AutoOnlyOrderView):
    input_serializer = inputs.ModifyGttInput
    api_type = "modifygttorder"

    def change(self, request, data: dict) -> Answer:
        row = gtt.gtt_modify(user=request.user, trigger_id=data["trigger_id"], data=order_kinds.jsonable(data))
        return Answer(200, {"status": "success", "trigger_id": row.trigger_id})


@_docs("Cancel an active GTT (refused in semi_auto)", s.OpenAlgoAnswer, request=inputs.CancelGttInput,
       get_too=False, errors=_REFUSED_IN_SEMI_AUTO)
class CancelGttOrderView(AutoOnlyOrderView):
    input_serializer = inputs.CancelGttInput
    api_type = "cancelgttorder"

    def change(self, request, data: dict) -> Answer:
        row = gtt.gtt_cancel(user=request.user, trigger_id=data["trigger_id"])
        return Answer(200, {"status": "success", "trigger_id": row.trigger_id})


@_docs("My GTTs: active ones, or status ALL for the history too", s.OpenAlgoAnswer,
       request=inputs.GttOrderBookInput)
class GttOrderBookView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT
    input_serializer = inputs.GttOrderBookInput

    def answer(self, request):
        rows = gtt.gtt_list(user=request.user, include_all=self.validated(request)["status"] == "ALL")
        return Response({"status": "success", "data": [gtt.gtt_row(row) for row in rows]})


ENDPOINTS.update({
    "placegttorder": PlaceGttOrderView,
    "modifygttorder": ModifyGttOrderView,
    "cancelgttorder": CancelGttOrderView,
    "gttorderbook": GttOrderBookView,
})
