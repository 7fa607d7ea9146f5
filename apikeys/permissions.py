"""The scope check of platform-key requests: the one place a view's scope is enforced.

A view declares the scope a key needs in its ``required_scope`` attribute
(``apikeys.scopes``: ``READ_MARKET``, ``READ_ACCOUNT``, ``WRITE_ORDERS``, or ``ANY_KEY``
for an endpoint any valid key may call). A view that declares nothing needs every scope:
an endpoint nobody classified is open to full keys only. Requests authenticated by a
JWT or a session are their owner's and are not narrowed by scopes.
"""
from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle

from apikeys import scopes, usage
from apikeys.verification import VerifiedKey


class ScopeMissing(exceptions.PermissionDenied):
    default_code = "apikey_scope_missing"


def needed_scopes(view) -> tuple[str, ...]:
    """The scopes a key must have to call ``view``."""
    declared = getattr(view, "required_scope", None)
    if declared is None:
        return scopes.ALL_SCOPES
    return (declared,) if declared else ()


def missing_scope(verified: VerifiedKey, needed: tuple[str, ...]) -> str | None:
    return next((scope for scope in needed if scope not in verified.scopes), None)


class KeyScopeRequired(BasePermission):
    """403 ``This API key lacks the <scope> scope`` for a key without the view's scope."""

    def has_permission(self, request, view) -> bool:
        verified = request.auth
        if not isinstance(verified, VerifiedKey):
            return True
        missing = missing_scope(verified, needed_scopes(view))
        if missing is not None:
            raise ScopeMissing(scopes.lacks_message(missing))
        usage.counter.count(verified.key_id, usage.group_of(view), BaseThrottle().get_ident(request))
        return True
