"""Operators' read-mostly view of the sandbox: orders, the Action Center queue, fills,
positions. Nothing here places, fills or approves an order: that is the owner's call
through the API or the Action Center page."""
from __future__ import annotations

from django.contrib import admin

from trading.models import Account, Order, PendingOrder, Position, Trade


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
