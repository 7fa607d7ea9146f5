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
