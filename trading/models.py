"""The sandbox broker's books: orders, fills, positions, the cash account, and the
Action Center's queue of orders waiting for their owner's approval.

Money and prices are Decimals (exact sums in the books); the simulated market speaks
floats and is converted once, at the fill.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

MONEY = {"max_digits": 20, "decimal_places": 4}


class Exchange(models.TextChoices):
    NSE = "NSE"
    BSE = "BSE"
    NFO = "NFO"
    BFO = "BFO"
    CDS = "CDS"
    MCX = "MCX"


class Action(models.TextChoices):
    BUY = "BUY"
    SELL = "SELL"


class PriceType(models.TextChoices):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    SL = "SL"
    SL_M = "SL-M"


class Product(models.TextChoices):
    CNC = "CNC"
    NRML = "NRML"
    MIS = "MIS"


class OrderStatus(models.TextChoices):
    """OpenAlgo's lowercase order_status values."""

    OPEN = "open"
    TRIGGER_PENDING = "trigger pending"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class Account(models.Model):
    """One per user, created on first use; its row is also the lock that serialises fills."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox_account")
    starting_cash = models.DecimalField(**MONEY, help_text="SANDBOX_STARTING_CASH when the account was opened.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "sandbox account"

    def __str__(self) -> str:
        return f"Sandbox account of {self.user}"


class Order(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox_orders")
    orderid = models.CharField(max_length=32, unique=True)
    strategy = models.CharField(max_length=100, blank=True)
    symbol = models.CharField(max_length=50)
    exchange = models.CharField(max_length=8, choices=Exchange.choices)
    action = models.CharField(max_length=4, choices=Action.choices)
    pricetype = models.CharField(max_length=8, choices=PriceType.choices)
    product = models.CharField(max_length=4, choices=Product.choices)
    quantity = models.PositiveIntegerField()
    price = models.DecimalField(**MONEY, default=0)
    trigger_price = models.DecimalField(**MONEY, default=0)
    disclosed_quantity = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=OrderStatus.choices)
    filled_quantity = models.PositiveIntegerField(default=0)
    average_price = models.DecimalField(**MONEY, default=0)
    rejection_reason = models.CharField(max_length=255, blank=True)
    margin_blocked = models.DecimalField(
        **MONEY, default=0, help_text="Margin held while the order is open; released when it fills or is cancelled.",
    )
    pending_order = models.OneToOneField(
        "PendingOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="order",
        help_text="The Action Center entry this order came from, if it was approved there.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.orderid} {self.action} {self.quantity} {self.symbol} ({self.status})"


class Trade(models.Model):
    """One fill. The sandbox fills an order whole, so one trade per executed order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="trades")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox_trades")
    symbol = models.CharField(max_length=50)
    exchange = models.CharField(max_length=8, choices=Exchange.choices)
    action = models.CharField(max_length=4, choices=Action.choices)
    product = models.CharField(max_length=4, choices=Product.choices)
    quantity = models.PositiveIntegerField()
    price = models.DecimalField(**MONEY)
    realized_pnl = models.DecimalField(
        **MONEY, default=0, help_text="P&L this fill realised by reducing a position (or selling holdings).",
    )
    executed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["executed_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.quantity} {self.symbol} @ {self.price}"

    @property
    def value(self):
        return self.price * self.quantity


class Position(models.Model):
    """Net quantity per (user, symbol, exchange, product): positive long, negative short."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox_positions")
    symbol = models.CharField(max_length=50)
    exchange = models.CharField(max_length=8, choices=Exchange.choices)
    product = models.CharField(max_length=4, choices=Product.choices)
    quantity = models.IntegerField(default=0)
    average_price = models.DecimalField(**MONEY, default=0)
    realized_pnl = models.DecimalField(**MONEY, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol", "exchange", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "symbol", "exchange", "product"], name="one_position_per_instrument"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.symbol} {self.exchange} {self.product}"


class Holding(models.Model):
    """Settled delivery shares: CNC buys of an earlier IST day (T+1), per symbol."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox_holdings")
    symbol = models.CharField(max_length=50)
    exchange = models.CharField(max_length=8, choices=Exchange.choices)
    quantity = models.PositiveIntegerField(default=0)
    average_price = models.DecimalField(**MONEY, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol", "exchange"]
        constraints = [
            models.UniqueConstraint(fields=["user", "symbol", "exchange"], name="one_holding_per_instrument"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.symbol} {self.exchange} (held)"


class GttStatus(models.TextChoices):
    ACTIVE = "active"
    TRIGGERED = "triggered"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class GttOrder(models.Model):
    """A Good-Till-Triggered order: SINGLE (one trigger) or OCO (stoploss and target legs,
    the first to trigger cancels the other). It places its order when the simulated
    market's last price crosses a trigger from the side it was on when placed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox_gtt_orders")
    trigger_id = models.CharField(max_length=32, unique=True)
    strategy = models.CharField(max_length=100, blank=True)
    trigger_type = models.CharField(max_length=8)  # SINGLE | OCO
    symbol = models.CharField(max_length=50)
    exchange = models.CharField(max_length=8, choices=Exchange.choices)
    action = models.CharField(max_length=4, choices=Action.choices)
    product = models.CharField(max_length=4, choices=Product.choices)
    quantity = models.PositiveIntegerField()
    pricetype = models.CharField(max_length=8, choices=PriceType.choices)
    price = models.DecimalField(**MONEY, default=0)
    triggerprice_sl = models.DecimalField(**MONEY, null=True, blank=True)
    triggerprice_tg = models.DecimalField(**MONEY, null=True, blank=True)
    stoploss = models.DecimalField(**MONEY, null=True, blank=True)
    target = models.DecimalField(**MONEY, null=True, blank=True)
    last_price = models.DecimalField(**MONEY, default=0, help_text="Last price when placed or last modified.")
    margin_blocked = models.DecimalField(
        **MONEY, default=0,
        help_text="Margin reserved while the GTT is active; released when it fires (its order blocks its own) "
                  "or is cancelled.",
    )
    status = models.CharField(max_length=16, choices=GttStatus.choices, default=GttStatus.ACTIVE)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="gtt_orders")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "status"])]
        verbose_name = "GTT order"

    def __str__(self) -> str:
        return f"GTT {self.trigger_id} {self.trigger_type} {self.action} {self.quantity} {self.symbol} ({self.status})"


class PendingStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class PendingOrder(models.Model):
    """An order that arrived while the key was in semi_auto mode.

    ``order_data`` holds the validated order only (never the API key). A row still
    marked pending after ``expires_at`` is expired: it shows as such and can no longer
    be approved, whether or not anything has rewritten its status yet.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_orders")
    api_type = models.CharField(max_length=32, default="placeorder")
    order_data = models.JSONField()
    status = models.CharField(max_length=16, choices=PendingStatus.choices, default=PendingStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        data = self.order_data or {}
        return f"#{self.pk} {data.get('action')} {data.get('quantity')} {data.get('symbol')} ({self.effective_status})"

    @property
    def effective_status(self) -> str:
        if self.status == PendingStatus.PENDING and self.expires_at <= timezone.now():
            return PendingStatus.EXPIRED
        return self.status


class IdempotentOrderRequest(models.Model):
    """The first answer to an order sent with an idempotency key (trading/idempotency.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the validated order it placed.")
    status = models.PositiveSmallIntegerField()
    answer = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_order_per_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class TradingMode(models.TextChoices):
    LONG = "LONG"
    SHORT = "SHORT"
    BOTH = "BOTH"


class Strategy(models.Model):
    """A webhook strategy (OpenAlgo's /strategy/webhook/<id>): alerts posted to its URL
    become orders under ``platform_key`` (its order mode decides execute or queue)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox_strategies")
    name = models.CharField(max_length=100)
    webhook_id = models.CharField(max_length=64, unique=True, editable=False,
                                  help_text="The secret part of the webhook URL (64 hex characters).")
    platform_key = models.ForeignKey(
        "apikeys.PlatformApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="strategies",
        help_text="Orders run under this key's order mode; without one they are queued for approval.",
    )
    trading_mode = models.CharField(max_length=5, choices=TradingMode.choices, default=TradingMode.LONG)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "strategies"

    def __str__(self) -> str:
        return f"{self.name} ({self.trading_mode})"


class StrategySymbol(models.Model):
    """Which instrument an alert's ``symbol`` trades, how many and in which product."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="symbols")
    symbol = models.CharField(max_length=50)
    exchange = models.CharField(max_length=8, choices=Exchange.choices)
    quantity = models.PositiveIntegerField()
    product = models.CharField(max_length=4, choices=Product.choices, default=Product.MIS)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["strategy", "symbol"], name="one_mapping_per_symbol")]

    def __str__(self) -> str:
        return f"{self.symbol} {self.exchange} x{self.quantity} {self.product}"
