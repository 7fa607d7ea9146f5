"""The /strategies/ page: a user's webhook strategies — list, create (with their symbol
mappings), pause / resume, delete — and their webhook URLs.

The webhook id is a credential (whoever has the URL places orders): the list shows only
its last four characters; the full TradingView and ChartInk URLs are shown to the owner on
an explicit request (a POST with CSRF, or right after creating the strategy), in a page
that is not cached. Another user's strategy is a 404, whatever is asked of it.
"""
from __future__ import annotations

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.views import View

from apikeys.models import PlatformApiKey
from trading import instrument_master, instruments, webhooks
from trading.models import Product, Strategy, TradingMode
from trading.serializers import MAX_QUANTITY

MAX_SYMBOLS = 100


class PlatformKeyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"My platform key (now {obj.get_order_mode_display()})"


class StrategyForm(forms.Form):
    name = forms.CharField(max_length=100)
    trading_mode = forms.ChoiceField(
        choices=TradingMode.choices, initial=TradingMode.LONG,
        help_text="For TradingView alerts: LONG (BUY enters, SELL exits), SHORT (SELL enters, BUY exits), "
                  "BOTH (every alert a smart order to position_size). A ChartInk scan's name decides instead.",
    )
    platform_key = PlatformKeyChoice(
        queryset=PlatformApiKey.objects.none(), required=False,
        empty_label="None: every order waits for approval in the Action Center",
        help_text="Orders run under this key's order mode (auto executes, semi-auto queues).",
    )
    symbols = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "placeholder": "SBIN,NSE,10,MIS"}),
        help_text="One mapping a line: SYMBOL,EXCHANGE,QUANTITY[,PRODUCT] (product MIS, CNC or NRML; MIS when "
                  "left out).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        keys = PlatformApiKey.objects.filter(user=user, lookup_digest__isnull=False)
        self.fields["platform_key"].queryset = keys
        if not self.is_bound and len(keys) == 1:
            self.initial["platform_key"] = keys[0].pk

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Strategy.objects.filter(user=self.user, name=name).exists():
            raise forms.ValidationError("You already have a strategy of this name.")
        return name

    def clean_symbols(self) -> list[dict]:
        return parse_symbols(self.cleaned_data["symbols"])


def parse_symbols(text: str) -> list[dict]:
    """``SYMBOL,EXCHANGE,QUANTITY[,PRODUCT]`` lines as mappings; ValidationError naming
    every bad line."""
    mappings: list[dict] = []
    errors: list[str] = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_SYMBOLS:
        raise forms.ValidationError(f"At most {MAX_SYMBOLS} symbols a strategy.")
    for number, line in enumerate(lines, start=1):
        parts = [part.strip() for part in line.split(",")]
        if len(parts) not in (3, 4):
            errors.append(f"Line {number}: write SYMBOL,EXCHANGE,QUANTITY[,PRODUCT].")
            continue
        symbol, exchange = instruments.normalize_symbol(parts[0]), parts[1].upper()
        product = parts[3].upper() if len(parts) == 4 else Product.MIS
        problems = []
        if not instruments.is_valid_symbol(symbol):
            problems.append("symbol is not a valid symbol")
        elif exchange in instruments.ORDER_EXCHANGES and instrument_master.listing(symbol, exchange) is None:
            problems.append(f"{symbol} is not listed on {exchange}")
        if exchange not in instruments.ORDER_EXCHANGES:
            problems.append(f"exchange must be one of {', '.join(instruments.ORDER_EXCHANGES)}")
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if not parts[2].isdecimal() or len(parts[2]) > 9 or not 0 < int(parts[2]) <= MAX_QUANTITY:
            problems.append("quantity must be a whole number from 1")
        if product not in Product.values:
            problems.append("product must be MIS, CNC or NRML")
        if any(m["symbol"] == symbol for m in mappings):
            problems.append(f"{symbol} is mapped twice")
        if problems:
            errors.append(f"Line {number}: " + "; ".join(problems) + ".")
            continue
        mappings.append({"symbol": symbol, "exchange": exchange, "quantity": int(parts[2]), "product": product})
    if errors:
        raise forms.ValidationError(errors)
    if not mappings:
        raise forms.ValidationError("Map at least one symbol.")
    return mappings


def _owned(request, pk: int) -> Strategy:
    strategy = Strategy.objects.filter(pk=pk, user=request.user).first()
    if strategy is None:
        raise Http404("No such strategy of yours")
    return strategy


def webhook_urls(request, strategy: Strategy) -> dict[str, str]:
    return {
        "tradingview": request.build_absolute_uri(reverse("strategy-webhook", args=[strategy.webhook_id])),
        "chartink": request.build_absolute_uri(reverse("chartink-webhook", args=[strategy.webhook_id])),
    }


def _page(request, *, form: StrategyForm | None = None, shown: Strategy | None = None, status: int = 200):
    strategies = list(Strategy.objects.filter(user=request.user).select_related("platform_key")
                      .prefetch_related("symbols"))
    response = render(request, "trading/strategies.html", {
        "strategies": strategies, "form": form or StrategyForm(user=request.user),
        "shown": shown, "shown_urls": webhook_urls(request, shown) if shown else None,
    }, status=status)
    add_never_cache_headers(response)  # a shown webhook URL must not stay in a cache
    return response


class StrategiesPage(LoginRequiredMixin, View):
    def get(self, request) -> HttpResponse:
        return _page(request)

    def post(self, request) -> HttpResponse:
        form = StrategyForm(request.POST, user=request.user)
        if not form.is_valid():
            return _page(request, form=form, status=400)
        data = form.cleaned_data
        with transaction.atomic():
            strategy = webhooks.strategy_create(
                user=request.user, name=data["name"], trading_mode=data["trading_mode"],
                platform_key=data["platform_key"], symbols=data["symbols"],
            )
        return _page(request, shown=strategy)  # its URLs, once, as the admin shows them


class RevealView(LoginRequiredMixin, View):
    def post(self, request, pk: int) -> HttpResponse:
        return _page(request, shown=_owned(request, pk))


class ToggleView(LoginRequiredMixin, View):
    def post(self, request, pk: int) -> HttpResponse:
        strategy = _owned(request, pk)
        strategy.is_active = not strategy.is_active
        strategy.save(update_fields=["is_active"])
        return redirect("strategies")


class DeleteView(LoginRequiredMixin, View):
    def post(self, request, pk: int) -> HttpResponse:
        _owned(request, pk).delete()
        return redirect("strategies")


urlpatterns = [
    path("strategies/", StrategiesPage.as_view(), name="strategies"),
    path("strategies/<int:pk>/webhook/", RevealView.as_view(), name="strategy-reveal"),
    path("strategies/<int:pk>/toggle/", ToggleView.as_view(), name="strategy-toggle"),
    path("strategies/<int:pk>/delete/", DeleteView.as_view(), name="strategy-delete"),
]
