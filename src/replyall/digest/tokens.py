"""Signed, expiring tokens for confirmation and unsubscribe links (itsdangerous, keyed by web.secret_key)."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from replyall.clock import Clock
from replyall.config import Settings

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"

#: A confirmation link is good for three days: long enough for a weekend, short
#: enough that an old forwarded mail cannot subscribe someone much later.
CONFIRM_MAX_AGE = 3 * 24 * 3600
#: Unsubscribe links live in summaries people keep for months; RFC 8058 expects the
#: one-click URL in an old message to keep working, so a year.
UNSUBSCRIBE_MAX_AGE = 365 * 24 * 3600

_MAX_AGE = {CONFIRM: CONFIRM_MAX_AGE, UNSUBSCRIBE: UNSUBSCRIBE_MAX_AGE}


class TokenError(Exception):
    """The token is forged, damaged, for another purpose, or expired (`expired` says which)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class TokenData:
    archive: str
    address: str
    nonce: str


def _serializer(settings: Settings, clock: Clock, purpose: str) -> URLSafeTimedSerializer:
    class _ClockSigner(TimestampSigner):
        # itsdangerous reads time.time(); the injected clock keeps expiry testable.
        def get_timestamp(self) -> int:
            return int(clock.now().timestamp())

    # The salt separates purposes: a confirmation token is no unsubscribe token.
    return URLSafeTimedSerializer(
        settings.web.secret_key, salt=f"replyall.digest.{purpose}", signer=_ClockSigner
    )


def make_token(settings: Settings, clock: Clock, purpose: str, archive: str, address: str, nonce: str = "") -> str:
    return _serializer(settings, clock, purpose).dumps([archive, address, nonce])


def read_token(settings: Settings, clock: Clock, purpose: str, token: str) -> TokenData:
    """The token's data; raises TokenError when it is forged, damaged or too old."""
    try:
        data = _serializer(settings, clock, purpose).loads(token, max_age=_MAX_AGE[purpose])
    except SignatureExpired:
        raise TokenError("this link has expired", expired=True) from None
    except BadSignature:
        raise TokenError("this link is not valid") from None
    if not (isinstance(data, list) and len(data) == 3 and all(isinstance(x, str) for x in data)):
        raise TokenError("this link is not valid")
    return TokenData(*data)
