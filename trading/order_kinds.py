"""What each order-placing OpenAlgo call does once it may execute: placeorder,
placesmartorder, basketorder, splitorder and placegttorder.

One function per kind takes the validated request as JSON data (what the Action Center
stores for a semi_auto key) and returns OpenAlgo's answer (body, HTTP status). They are
called in auto mode by ``orders.order_route`` and, for a queued request, by the Action
Center's approval: the same code executes exactly what was queued.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from trading import broker
from trading.errors import TradingError
from trading.models import Action, Order, OrderStatus

ALREADY_MATCHED = "Positions Already Matched. No Action needed."
NO_POSITION_TO_EXIT = "No OpenPosition Found. Not placing Exit order."

Answer = tuple[dict, int]


def jsonable(data: dict) -> dict:
    """Validated data as JSON (Decimals as strings, dates as ISO dates), as the Action
    Center stores it and an idempotency fingerprint reads it."""
    def convert(value):
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    return convert(dict(data))


def order_answer(order: Order) -> Answer:
    """placeorder's answer for one executed order (a sandbox rejection is a 400)."""
    if order.status == OrderStatus.REJECTED:
        message = f"Order rejected: {order.rejection_reason}"
        return {"status": "error", "message": message, "orderid": order.orderid}, 400
    return {"status": "success", "orderid": order.orderid}, 200


def place(user: AbstractBaseUser, data: dict) -> Answer:
    return order_answer(broker.order_execute(user=user, request=broker.OrderRequest.from_data(data)))


def smart_order_plan(*, current: int, target: int, action: str, quantity: int) -> tuple[str, int] | str:
    """(action, quantity) that takes the net position from ``current`` to ``target``, or
    the message saying why nothing is placed (OpenAlgo's placesmartorder rules)."""
    if target == 0 and current == 0 and quantity != 0:
        return action, quantity  # position_size 0 on a flat book: a plain order
    if target == current:
        return NO_POSITION_TO_EXIT if quantity == 0 else ALREADY_MATCHED
    difference = target - current
    return (Action.BUY if difference > 0 else Action.SELL), abs(difference)


def place_smart(user: AbstractBaseUser, data: dict) -> Answer:
    with transaction.atomic():
        broker.account_lock(user)  # the position read and the order it decides are one step
        current = broker.position_quantity(
            user=user, symbol=data["symbol"], exchange=data["exchange"], product=data["product"]
        )
        plan = smart_order_plan(
            current=current, target=int(data["position_size"]), action=data["action"], quantity=int(data["quantity"])
        )
        if isinstance(plan, str):
            return {"status": "success", "message": plan}, 200
        action, quantity = plan
        return place(user, {**data, "action": action, "quantity": quantity, "disclosed_quantity": 0})


def place_basket(user: AbstractBaseUser, data: dict) -> Answer:
    """Every order of the basket, BUYs before SELLs (as OpenAlgo), each independent."""
    items = sorted(data["orders"], key=lambda item: item["action"] != Action.BUY)
    results = []
    for item in items:
        body, _ = place(user, {**item, "strategy": data.get("strategy", "")})
        result = {"symbol": item["symbol"], "status": body["status"]}
        if "orderid" in body:
            result["orderid"] = body["orderid"]
        if body["status"] != "success":
            result["message"] = body["message"]
        results.append(result)
    succeeded = any(r["status"] == "success" for r in results)
    return {"status": "success" if succeeded else "error", "results": results}, 200


def split_sizes(quantity: int, splitsize: int) -> list[int]:
    full, rest = divmod(quantity, splitsize)
    return [splitsize] * full + ([rest] if rest else [])


def place_split(user: AbstractBaseUser, data: dict) -> Answer:
    quantity, splitsize = int(data["quantity"]), int(data["splitsize"])
    results = []
    for number, size in enumerate(split_sizes(quantity, splitsize), start=1):
        body, _ = place(user, {**data, "quantity": size, "disclosed_quantity": min(int(data.get(
            "disclosed_quantity") or 0), size)})
        result = {"order_num": number, "quantity": size, "status": body["status"]}
        if "orderid" in body:
            result["orderid"] = body["orderid"]
        if body["status"] != "success":
            result["message"] = body["message"]
        results.append(result)
    return {"status": "success", "split_size": splitsize, "total_quantity": quantity, "results": results}, 200


def place_gtt(user: AbstractBaseUser, data: dict) -> Answer:
    """A GTT the funds cannot cover is refused (400), as a rejected order is: an approved
    Action Center entry shows that answer rather than staying pending."""
    from trading import gtt

    try:
        row = gtt.gtt_place(user=user, data=data)
    except TradingError as refusal:
        return {"status": "error", "message": refusal.message}, refusal.status_code
    return {"status": "success", "trigger_id": row.trigger_id}, 200


def _place_option_order(user: AbstractBaseUser, order: dict) -> dict:
    """One resolved option order, split into ``splitsize`` orders when asked: its result
    fields (orderid, or the split's results)."""
    splitsize = int(order.get("splitsize") or 0)
    if splitsize > 0:
        body, _ = place_split(user, {**order, "splitsize": splitsize})
        return {"status": body["status"], "total_quantity": body["total_quantity"], "split_size": splitsize,
                "results": body["results"]}
    body, _ = place(user, order)
    return {k: v for k, v in body.items() if k in ("status", "orderid", "message")}


def place_options(user: AbstractBaseUser, data: dict) -> Answer:
    """optionsorder: ``data`` is the order for the contract resolved from the underlying
    when the request came (plus underlying, underlying_ltp, offset and option_type)."""
    result = _place_option_order(user, data)
    answer = {**result, "symbol": data["symbol"], "exchange": data["exchange"], "underlying": data["underlying"],
              "underlying_ltp": data["underlying_ltp"], "offset": data["offset"], "option_type": data["option_type"]}
    return answer, 200 if result["status"] == "success" else 400


def place_options_multi(user: AbstractBaseUser, data: dict) -> Answer:
    """optionsmultiorder: every resolved leg (``orders``), BUY legs first for margin, each
    independent; results in leg order."""
    legs = sorted(data["orders"], key=lambda leg: leg["action"] != Action.BUY)
    results = []
    for leg in legs:
        results.append({"leg": leg["leg"], "symbol": leg["symbol"], "exchange": leg["exchange"],
                        "product": leg["product"], "offset": leg["offset"], "option_type": leg["option_type"],
                        "action": leg["action"], **_place_option_order(user, leg)})
    results.sort(key=lambda r: r["leg"])
    succeeded = any(r["status"] == "success" for r in results)
    return {"status": "success" if succeeded else "error", "underlying": data["underlying"],
            "underlying_ltp": data["underlying_ltp"], "results": results}, 200


EXECUTORS: dict[str, Callable[[AbstractBaseUser, dict], Answer]] = {
    "optionsorder": place_options,
    "optionsmultiorder": place_options_multi,
    "placegttorder": place_gtt,
    "placeorder": place,
    "placesmartorder": place_smart,
    "basketorder": place_basket,
    "splitorder": place_split,
}


def execute(api_type: str, user: AbstractBaseUser, data: dict) -> Answer:
    return EXECUTORS[api_type](user, data)
