"""Option pricing for the paper market and the analytics endpoints: Black-76 prices,
greeks and implied volatility, and the simulated implied-volatility surface.

Black-76 prices an option on a forward F (a future, or spot carried to expiry) with
discount e^(-rT); Black-Scholes on spot S at rate r is the same formula with
F = S·e^(rT). Greeks are reported in the units OpenAlgo returns: theta per calendar
day, vega and rho per 1 percentage point.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

_SQRT_2PI = math.sqrt(2.0 * math.pi)
MIN_VOL, MAX_VOL = 0.001, 5.0


def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / _SQRT_2PI


def intrinsic(forward: float, strike: float, option_type: str) -> float:
    return max(forward - strike, 0.0) if option_type == "CE" else max(strike - forward, 0.0)


def black76(forward: float, strike: float, years: float, rate: float, vol: float, option_type: str) -> float:
    """The Black-76 price of a European call (CE) or put (PE)."""
    discount = math.exp(-rate * years)
    if years <= 0 or vol <= 0:
        return discount * intrinsic(forward, strike, option_type)
    root = vol * math.sqrt(years)
    d1 = (math.log(forward / strike) + vol * vol * years / 2) / root
    d2 = d1 - root
    if option_type == "CE":
        return discount * (forward * norm_cdf(d1) - strike * norm_cdf(d2))
    return discount * (strike * norm_cdf(-d2) - forward * norm_cdf(-d1))


@dataclass(frozen=True)
class Greeks:
    delta: float
    gamma: float
    theta: float  # per calendar day
    vega: float  # per 1 vol point
    rho: float  # per 1 rate point

    def as_dict(self) -> dict:
        return {
            "delta": round(self.delta, 4), "gamma": round(self.gamma, 6), "theta": round(self.theta, 4),
            "vega": round(self.vega, 4), "rho": round(self.rho, 6),
        }


def black76_greeks(forward: float, strike: float, years: float, rate: float, vol: float, option_type: str) -> Greeks:
    """Black-76 sensitivities with respect to the forward (delta, gamma), time, vol and rate."""
    if years <= 0 or vol <= 0:
        itm = intrinsic(forward, strike, option_type) > 0
        return Greeks(delta=(1.0 if option_type == "CE" else -1.0) if itm else 0.0, gamma=0.0, theta=0.0, vega=0.0,
                      rho=0.0)
    discount = math.exp(-rate * years)
    root = vol * math.sqrt(years)
    d1 = (math.log(forward / strike) + vol * vol * years / 2) / root
    price = black76(forward, strike, years, rate, vol, option_type)
    pdf = norm_pdf(d1)
    gamma = discount * pdf / (forward * root)
    vega = discount * forward * pdf * math.sqrt(years)
    decay = -discount * forward * pdf * vol / (2 * math.sqrt(years))
    delta = discount * norm_cdf(d1) if option_type == "CE" else -discount * norm_cdf(-d1)
    theta = decay + rate * price  # with the forward held fixed, for calls and puts alike
    return Greeks(delta=delta, gamma=gamma, theta=theta / 365.0, vega=vega / 100.0, rho=-years * price / 100.0)


def implied_vol(price: float, forward: float, strike: float, years: float, rate: float, option_type: str) -> float | None:
    """The Black-76 volatility that reproduces ``price``, or None when no volatility does
    (a price at or below the discounted intrinsic value, or above the forward)."""
    if years <= 0 or price <= 0:
        return None
    low, high = MIN_VOL, MAX_VOL
    if not black76(forward, strike, years, rate, low, option_type) < price < black76(
        forward, strike, years, rate, high, option_type
    ):
        return None
    for _ in range(100):  # bisection: the price is increasing in volatility
        mid = (low + high) / 2
        if black76(forward, strike, years, rate, mid, option_type) < price:
            low = mid
        else:
            high = mid
        if high - low < 1e-7:
            break
    return (low + high) / 2


# --- The simulated surface ------------------------------------------------------------------

ATM_VOL = {"index": 0.14, "equity": 0.28, "commodity": 0.22, "currency": 0.06}
SKEW = -0.12  # vol per unit of log-moneyness: puts dearer than calls, as in index markets
SMILE = 0.35  # curvature per unit of log-moneyness squared


def surface_vol(kind: str, strike: float, reference: float, years: float) -> float:
    """Implied volatility of the simulated market for an option struck at ``strike`` on an
    underlying whose reference level is ``reference``: a sticky-strike smile (so an
    option's price moves with its underlying alone) with a gently rising term structure.

    The skew and smile are mild enough that call prices fall and put prices rise with the
    strike at every maturity the instrument master lists.
    """
    atm = ATM_VOL.get(kind, 0.28)
    m = math.log(strike / reference)
    term = 1.0 + 0.08 * math.sqrt(min(max(years, 0.0), 1.0))
    return max(atm * term * (1.0 + SKEW * m + SMILE * m * m), 0.02)
