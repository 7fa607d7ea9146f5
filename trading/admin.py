"""Operators' read-mostly view of the sandbox: orders, the Action Center queue, fills,
positions; and webhook strategies (created and edited here). Nothing here places, fills
or approves an order: that is the owner's call through the API or the Action Center page."""
from __future__ import annotations

from django.contrib import admin, messages

from trading import webhooks
from trading.models import Account, Order, PendingOrder, Position, Strategy, StrategySymbol, Trade


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TradeInline(admin.TabularInline):
    model = Trade
    extra = 0
    can_delete = False
    fields = ["executed_at", "action", "quantity", "price"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["orderid", "user", "symbol", "exchange", "action", "quantity", "pricetype", "product", "price",
                    "status", "average_price", "created_at"]
    list_filter = ["status", "exchange", "pricetype", "product", "action"]
    search_fields = ["orderid", "symbol", "user__username", "strategy"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    inlines = [TradeInline]


@admin.register(PendingOrder)
class PendingOrderAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "api_type", "summary", "shown_status", "created_at", "expires_at", "decided_at"]
    list_filter = ["status", "api_type"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    @admin.display(description="order")
    def summary(self, obj: PendingOrder) -> str:
        d = obj.order_data or {}
        return f"{d.get('action')} {d.get('quantity')} {d.get('symbol')} {d.get('exchange')} {d.get('pricetype')}"

    @admin.display(description="status")
    def shown_status(self, obj: PendingOrder) -> str:
        return obj.effective_status


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ["user", "symbol", "exchange", "product", "quantity", "average_price", "realized_pnl", "updated_at"]
    list_filter = ["exchange", "product"]
    search_fields = ["symbol", "user__username"]
    list_select_related = ["user"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["user", "starting_cash", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]


class StrategySymbolInline(admin.TabularInline):
    model = StrategySymbol
    extra = 1


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    """Webhook strategies. The webhook id is a credential: the list and form show its last
    four characters; the full webhook URL only ever on its owner's strategies page."""

    list_display = ["name", "user", "trading_mode", "is_active", "webhook_hint", "created_at"]
    list_filter = ["trading_mode", "is_active"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["webhook_hint", "created_at"]
    fields = ["user", "name", "platform_key", "trading_mode", "is_active", "webhook_hint", "created_at"]
    inlines = [StrategySymbolInline]

    @admin.display(description="webhook id")
    def webhook_hint(self, obj) -> str:
        return f"****{obj.webhook_id[-4:]}" if obj and obj.webhook_id else "(made when saved)"

    def save_model(self, request, obj, form, change):
        created = not obj.webhook_id
        if created:
            obj.webhook_id = webhooks.new_webhook_id()
        super().save_model(request, obj, form, change)
        if created:
            # Not the URL itself: a message waits in a cookie or the session, and the webhook
            # id is a secret. Its owner sees it on the strategies page ("Show URLs").
            messages.info(request, f"Strategy created: {obj.user} sees its webhook URLs on the strategies page (Show URLs).")
