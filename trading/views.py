"""The sandbox trading API (docs/api/trading.md) in OpenAlgo's shapes, and the Action Center page.

Thin: authenticate, validate, call broker / orders / action_center, shape with
``shapes``. Read endpoints also answer GET with query parameters; every failure
answers ``{"status": "error", "message": ...}`` (see trading/errors.py).
"""
from __future__ import annotations

import re

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from apikeys import scopes
from apikeys.authentication import MISSING_KEY_MESSAGE, PlatformKeyAuthentication
from apikeys.permissions import KeyScopeRequired
from trading import action_center, broker, idempotency, market, orders, shapes, write_lock
from trading import serializers as s
from trading.errors import NotFound, OpenAlgoJSONParser, openalgo_exception_handler
from trading.models import OrderStatus
from trading.order_kinds import jsonable, order_answer

QUEUED_MESSAGE = "Order queued for approval in Action Center"
_ERRORS = {
    400: OpenApiResponse(s.OpenAlgoError, description="Bad input: the message names the field"),
    403: OpenApiResponse(s.OpenAlgoError, description=(
        'Missing or invalid key ("Invalid openalgo apikey"), or a key without this endpoint\'s scope, '
        "expired, or not allowed from this address: the message says which"
    )),
    413: OpenApiResponse(s.OpenAlgoError, description="Body larger than DATA_UPLOAD_MAX_MEMORY_SIZE"),
    429: OpenApiResponse(s.OpenAlgoError, description="Too many invalid keys from this address, or past the key's own rate limit"),
}


def _docs(summary: str, output, *, request=None, tags=("trading",), get_too: bool = True, errors=None, **extra):
    """extend_schema for POST (JSON body) and, for read endpoints, GET (query string);
    an order call (OrderCallView) also documents its Idempotency-Key header and 422.
    ``output``: the 200 body's serializer, or a {(200, media type): body} dict when the
    endpoint answers more than JSON."""

    def decorate(view_class):
        responses = {**(output if isinstance(output, dict) else {200: output}), **(errors or _ERRORS)}
        if issubclass(view_class, OrderCallView):
            responses[422] = _KEY_REUSED
            extra["parameters"] = [*extra.get("parameters", []), _IDEMPOTENCY_KEY_PARAM]

        # Fresh functions per class: extend_schema annotates the function object itself.
        def post(self, request, *args, **kwargs):
            return self.answer(request, *args, **kwargs)

        def get(self, request, *args, **kwargs):
            return self.answer(request, *args, **kwargs)

        common = {"summary": summary, "responses": responses, "tags": list(tags), **extra}
        # The body is parsed as JSON whatever Content-Type it declares (OpenAlgoJSONParser):
        # JSON is the one body format to document, not the parser's catch-all */*.
        body = {"application/json": request} if request else None
        view_class.post = extend_schema(request=body, **common)(post)
        if get_too:
            view_class.get = extend_schema(parameters=[request] if request else None, **common)(get)
        else:
            view_class.http_method_names = ["post", "options"]
        return view_class

    return decorate


class JSONAnswers(BaseContentNegotiation):
    """Every answer is JSON, whatever Accept says, as OpenAlgo's own server does.

    DRF's pattern for an API with one renderer (its docs' IgnoreClientContentNegotiation):
    a webhook sender or script asking for text/html gets the JSON answer instead of a
    406, and no Accept header is parsed on the hot path.
    """

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class OpenAlgoView(APIView):
    """Platform-key authentication, any-content-type JSON bodies, OpenAlgo errors.

    ``required_scope``: the scope a platform key needs here (``apikeys.scopes``); a view
    that declares none needs every scope (``apikeys.permissions``)."""

    authentication_classes = [PlatformKeyAuthentication]
    content_negotiation_class = JSONAnswers
    permission_classes = [IsAuthenticated, KeyScopeRequired]
    required_scope: str | None = None
    parser_classes = [OpenAlgoJSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes: list = []
    missing_credentials_message: str | None = MISSING_KEY_MESSAGE
    input_serializer: type[Serializer] | None = None

    def get_exception_handler(self):
        return openalgo_exception_handler

    def validated(self, request) -> dict:
        params = request.query_params.dict() if request.method == "GET" else request.data
        assert self.input_serializer is not None, f"{type(self).__name__} reads input without an input_serializer"
        incoming = self.input_serializer(data=params)
        incoming.is_valid(raise_exception=True)
        return incoming.validated_data

    def answer(self, request, *args, **kwargs) -> Response:
        raise NotImplementedError


_IDEMPOTENCY_KEY_PARAM = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Optional (or idempotency_key in the body): a retry with the same key within 24 h returns the "
                "first answer, with the header Idempotent-Replayed: true, and does nothing again.",
)
_KEY_REUSED = OpenApiResponse(s.OpenAlgoError, description="Idempotency key already used for a different request")


class OrderCallView(OpenAlgoView):
    """A call that places, changes or cancels orders (POST only): validate, then ``act``
    once per Idempotency-Key (trading/idempotency.py). A refusal raised by ``act`` (semi_auto,
    not found, bad state) rolls back and stores nothing, so a retry is refused the same way."""

    required_scope = scopes.WRITE_ORDERS
    api_type = ""

    def answer(self, request):
        data = self.validated(request)
        with write_lock.order_writes():
            answer = idempotency.answer_once(
                user=request.user, meta=request.META, body=request.data, endpoint=self.api_type,
                data=jsonable(data), act=lambda: self.act(request, data),
            )
        response = Response(answer.body, status=answer.status)
        if answer.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def act(self, request, data: dict) -> idempotency.Answer:
        raise NotImplementedError

    @staticmethod
    def key_id(request) -> int | None:
        return getattr(request.auth, "key_id", None)


class AutoOnlyOrderView(OrderCallView):
    """Modify, cancel, cancel-all, close-position: run only for a key in auto mode (403 in
    semi_auto, as OpenAlgo), answering ``change``'s result."""

    def act(self, request, data: dict) -> idempotency.Answer:
        orders.order_change_require_auto(user=request.user, key_id=self.key_id(request), api_type=self.api_type)
        return self.change(request, data)

    def change(self, request, data: dict) -> idempotency.Answer:
        raise NotImplementedError


@_docs("Check the key: pong", s.PingOutput, tags=("trading", "utilities"))
class PingView(OpenAlgoView):
    required_scope = scopes.ANY_KEY

    def answer(self, request):
        return Response({"status": "success", "data": {"message": "pong", "broker": "sandbox"}})


@_docs("Place an order (auto: executes; semi_auto: queued in the Action Center)", s.PlaceOrderOutput,
       request=s.PlaceOrderInput, get_too=False)
class PlaceOrderView(OrderCallView):
    input_serializer = s.PlaceOrderInput
    api_type = "placeorder"

    def act(self, request, data: dict) -> idempotency.Answer:
        placement = orders.order_place(
            user=request.user, key_id=self.key_id(request), request=broker.OrderRequest.from_data(data)
        )
        if placement.pending_order is not None:
            return queued(placement.pending_order)
        assert placement.order is not None  # not queued, so placed
        body, status = order_answer(placement.order)
        return idempotency.Answer(status, body)


def queued(pending_order) -> idempotency.Answer:
    return idempotency.Answer(200, {
        "status": "success", "message": QUEUED_MESSAGE, "mode": "semi_auto", "pending_order_id": pending_order.pk,
    })


@_docs("Status of one order", s.OrderStatusOutput, request=s.OrderIdInput,
       errors={**_ERRORS, 404: OpenApiResponse(s.OpenAlgoError, description="No such order of yours")})
class OrderStatusView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT
    input_serializer = s.OrderIdInput

    def answer(self, request):
        order = broker.order_get(user=request.user, orderid=self.validated(request)["orderid"])
        return Response({"status": "success", "data": shapes.order(order)})


@_docs("Cancel an open order (refused in semi_auto)", s.CancelOrderOutput, request=s.OrderIdInput, get_too=False,
       errors={**_ERRORS, 403: OpenApiResponse(s.OpenAlgoError, description="Invalid key, or the key is in semi_auto"),
               404: OpenApiResponse(s.OpenAlgoError, description="No such order of yours")})
class CancelOrderView(AutoOnlyOrderView):
    input_serializer = s.OrderIdInput
    api_type = "cancelorder"

    def change(self, request, data: dict) -> idempotency.Answer:
        order = broker.order_cancel(user=request.user, orderid=data["orderid"])
        return idempotency.Answer(200, {"status": "success", "orderid": order.orderid})


@_docs("All my sandbox orders, newest first, with statistics", s.OrderBookOutput)
class OrderBookView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT
    def answer(self, request):
        rows = broker.orders_list(user=request.user)
        return Response({
            "status": "success",
            "data": {"orders": [shapes.order(o) for o in rows], "statistics": shapes.order_statistics(rows)},
        })


@_docs("My executed trades", s.TradeBookOutput)
class TradeBookView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT
    def answer(self, request):
        rows = broker.trades_list(user=request.user)
        return Response({"status": "success", "data": [shapes.trade(t, t.order.orderid) for t in rows]})


@_docs("My positions with last price and P&L", s.PositionBookOutput)
class PositionBookView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT
    def answer(self, request):
        rows = broker.positions_list(user=request.user)
        return Response({"status": "success", "data": [shapes.position(v.position, v.ltp, v.pnl) for v in rows]})


@_docs("My sandbox funds", s.FundsOutput)
class FundsView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT
    def answer(self, request):
        f = broker.funds_get(user=request.user)
        return Response({
            "status": "success",
            "data": shapes.funds(
                available=f.available, realized=f.realized, unrealized=f.unrealized, utilised=f.utilised
            ),
        })


# The fields of one quote, as OpenAlgo answers them (quotes, and each of multiquotes' results).
QUOTE_FIELDS = ("open", "high", "low", "ltp", "ask", "bid", "prev_close", "volume", "oi")
_DEPTH_FIELDS = ("open", "high", "low", "ltp", "ltq", "prev_close", "volume", "oi", "totalbuyqty", "totalsellqty")


@_docs("Simulated quote of a symbol", s.QuotesOutput, request=s.SymbolInput, tags=("trading", "market data"))
class QuotesView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = s.SymbolInput

    def answer(self, request):
        data = self.validated(request)
        quote = market.quote(data["symbol"], data["exchange"])
        return Response({"status": "success", "data": {k: quote[k] for k in QUOTE_FIELDS}})


@_docs("Simulated 5-level market depth of a symbol", s.DepthOutput, request=s.SymbolInput,
       tags=("trading", "market data"))
class DepthView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = s.SymbolInput

    def answer(self, request):
        data = self.validated(request)
        book = market.depth(data["symbol"], data["exchange"], levels=5)
        levels = lambda side: [{"price": lvl["price"], "quantity": lvl["quantity"]} for lvl in book[side]]  # noqa: E731
        return Response({
            "status": "success",
            "data": {**{k: book[k] for k in _DEPTH_FIELDS}, "asks": levels("asks"), "bids": levels("bids")},
        })


@_docs("Action Center: my orders waiting for approval (key, JWT or session)", s.PendingOrdersOutput,
       request=s.PendingOrdersInput, tags=("trading", "action center"))
class PendingOrdersView(OpenAlgoView):
    required_scope = scopes.READ_ACCOUNT
    # A JWT is looked at first: a request that carries one is its owner's, whatever else it
    # carries (a stale ?apikey= left in a bookmarked URL must not refuse it).
    authentication_classes = [JWTAuthentication, PlatformKeyAuthentication, SessionAuthentication]
    input_serializer = s.PendingOrdersInput

    def get_authenticate_header(self, request):
        # No credentials at all: 403 "Missing openalgo apikey" as on every key endpoint,
        # not the JWT's 401 challenge.
        return PlatformKeyAuthentication().authenticate_header(request)

    def answer(self, request):
        status_filter = self.validated(request)["status"]
        rows = action_center.pending_orders_list(user=request.user, status=status_filter)
        return Response({
            "status": "success",
            "data": {
                "orders": [shapes.pending_order(p) for p in rows],
                "statistics": action_center.pending_statistics(user=request.user),
            },
        })


_DECISION_ERRORS = {
    400: OpenApiResponse(s.OpenAlgoError, description="The body is not a JSON object, or reason is too long"),
    401: OpenApiResponse(s.OpenAlgoError, description="No session or JWT (the platform key cannot decide)"),
    404: OpenApiResponse(s.OpenAlgoError, description="No such pending order of yours"),
    409: OpenApiResponse(s.OpenAlgoError, description="Already approved, rejected or expired"),
    413: _ERRORS[413],
}


_PENDING_ORDER_ID = re.compile(r"[0-9]{1,18}")  # fits a BIGINT: anything else is just "not found"
_PENDING_ORDER_ID_PARAM = OpenApiParameter(
    "pending_order_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Action Center id of your pending order"
)


class DecisionView(OpenAlgoView):
    """Owner only, by session (with CSRF) or JWT: a script holding the key must not be
    able to approve its own orders, or semi_auto would mean nothing."""

    authentication_classes = [JWTAuthentication, SessionAuthentication]
    missing_credentials_message = None

    @staticmethod
    def pending_order_pk(raw: str) -> int:
        if not _PENDING_ORDER_ID.fullmatch(raw):
            raise NotFound("Pending order not found")
        return int(raw)


@_docs("Approve a pending order: it executes now, once", s.DecisionOutput, get_too=False, errors=_DECISION_ERRORS,
       tags=("trading", "action center"), parameters=[_PENDING_ORDER_ID_PARAM])
class ApproveView(DecisionView):
    input_serializer = s.ApproveInput

    def answer(self, request, pending_order_id: str):
        pk = self.pending_order_pk(pending_order_id)
        self.validated(request)
        row, order = action_center.pending_order_approve(user=request.user, pending_order_id=pk)
        if isinstance(order, dict):  # a basket, split, smart or GTT order: its own answer
            message = "Order approved and placed"
            if order.get("status") == "error":
                message = f"Order approved; the sandbox refused it: {order.get('message', '')}"
            return Response({
                "status": "success", "message": message, "pending_order_id": row.pk,
                "api_type": row.api_type, "result": order,
            })
        if order.status == OrderStatus.REJECTED:
            message = f"Order approved; the sandbox rejected it: {order.rejection_reason}"
        else:
            message = "Order approved and placed"
        return Response({
            "status": "success", "message": message, "pending_order_id": row.pk,
            "orderid": order.orderid, "order_status": order.status,
        })


@_docs("Reject a pending order: it never executes", s.DecisionOutput, request=s.RejectInput, get_too=False,
       errors=_DECISION_ERRORS, tags=("trading", "action center"), parameters=[_PENDING_ORDER_ID_PARAM])
class RejectView(DecisionView):
    input_serializer = s.RejectInput

    def answer(self, request, pending_order_id: str):
        pk = self.pending_order_pk(pending_order_id)
        reason = self.validated(request)["reason"]
        row = action_center.pending_order_reject(user=request.user, pending_order_id=pk, reason=reason)
        return Response({"status": "success", "message": "Order rejected", "pending_order_id": row.pk})


class ActionCenterPage(LoginRequiredMixin, TemplateView):
    """The page; its script lists and decides through the JSON endpoints above."""

    template_name = "trading/action_center.html"
