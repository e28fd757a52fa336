"""Sign-in by emailed link, signed session cookies, the current user, and CSRF tokens.

There are no passwords and no accounts: a person proves they read an address by
following a single-use link mailed to it. Tokens and session ids are random, signed
with web.secret_key (itsdangerous), and stored only as sha256 hashes, so a copy of
the database cannot be turned into working links or sessions. Every expiry is
measured with the injected clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, Signer, URLSafeSerializer
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from replyall.clock import Clock
from replyall.config import Settings
from replyall.db.models import LoginToken, WebSession
from replyall.members import is_admin, normalise, readable_archive_ids
from replyall.web.deps import SessionDep, SettingsDep, get_clock

SESSION_COOKIE = "replyall_session"
CSRF_COOKIE = "replyall_csrf"
CSRF_FIELD = "csrf_token"
_LOGIN_SALT = "replyall.login-link"
_SESSION_SALT = "replyall.session"
_CSRF_SALT = b"replyall.csrf"


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# --- sign-in links ---------------------------------------------------------------


def _login_serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.web.secret_key, salt=_LOGIN_SALT)


def issue_login_token(session: Session, settings: Settings, clock: Clock, address: str) -> str:
    """Store a fresh single-use nonce for ADDRESS and return the signed token for its link."""
    nonce = secrets.token_urlsafe(24)
    now = clock.now()
    session.add(
        LoginToken(
            nonce_hash=_sha(nonce),
            address=normalise(address),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.auth.login_link_minutes),
        )
    )
    session.flush()
    return _login_serializer(settings).dumps({"a": normalise(address), "n": nonce})


def _token_row(session: Session, settings: Settings, clock: Clock, token: str) -> LoginToken | None:
    try:
        data = _login_serializer(settings).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    row = session.get(LoginToken, _sha(data["n"]))
    if row is None or row.used_at is not None or row.expires_at <= clock.now() or row.address != data.get("a"):
        return None
    return row


def peek_login_token(session: Session, settings: Settings, clock: Clock, token: str) -> str | None:
    """The address a still-valid link signs in, without using it up (for the confirm page)."""
    row = _token_row(session, settings, clock, token)
    return row.address if row is not None else None


def redeem_login_token(session: Session, settings: Settings, clock: Clock, token: str) -> str | None:
    """Use the link up and return its address; None if forged, used or expired."""
    row = _token_row(session, settings, clock, token)
    if row is None:
        return None
    now = clock.now()
    # A conditional UPDATE, so two clicks racing each other cannot both sign in.
    done = session.execute(
        update(LoginToken)
        .where(LoginToken.nonce_hash == row.nonce_hash, LoginToken.used_at.is_(None), LoginToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return None
    # Housekeeping: links are useless after they expire.
    session.execute(delete(LoginToken).where(LoginToken.expires_at < now - timedelta(days=1)))
    return row.address


# --- sessions --------------------------------------------------------------------


def _session_signer(settings: Settings) -> Signer:
    return Signer(settings.web.secret_key, salt=_SESSION_SALT)


def start_session(session: Session, settings: Settings, clock: Clock, address: str) -> str:
    """Create a session row; returns the cookie value (the signed random id)."""
    sid = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        WebSession(
            id_hash=_sha(sid), address=normalise(address), created_at=now,
            expires_at=now + timedelta(days=settings.auth.session_days),
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.flush()
    return _session_signer(settings).sign(sid).decode("ascii")


def session_id(settings: Settings, cookie: str | None) -> str | None:
    if not cookie:
        return None
    try:
        return _session_signer(settings).unsign(cookie).decode("ascii")
    except BadSignature:
        return None


def session_address(session: Session, settings: Settings, clock: Clock, cookie: str | None) -> str | None:
    sid = session_id(settings, cookie)
    if sid is None:
        return None
    row = session.get(WebSession, _sha(sid))
    if row is None or row.expires_at <= clock.now():
        return None
    return row.address


def end_session(session: Session, settings: Settings, cookie: str | None) -> None:
    sid = session_id(settings, cookie)
    if sid is not None:
        session.execute(delete(WebSession).where(WebSession.id_hash == _sha(sid)))


def _secure(settings: Settings) -> bool:
    return settings.web.base_url.startswith("https://")


def set_session_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, value, max_age=settings.auth.session_days * 86400, path="/",
        httponly=True, samesite="lax", secure=_secure(settings),
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(settings))


# --- the current user ------------------------------------------------------------


@dataclass(frozen=True)
class User:
    address: str
    is_admin: bool = False
    #: Every archive this person may read (public ones included).
    archive_ids: frozenset[int] = field(default_factory=frozenset)


def current_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The signed-in person, or None. Computed once per request."""
    if hasattr(request.state, "user"):
        return request.state.user
    clock = get_clock(request)
    address = session_address(session, settings, clock, request.cookies.get(SESSION_COOKIE))
    user = None
    if address is not None:
        user = User(
            address=address,
            is_admin=is_admin(settings, address),
            archive_ids=frozenset(readable_archive_ids(session, settings, address)),
        )
    request.state.user = user
    return user


UserDep = Annotated[User | None, Depends(current_user)]


def require_user(user: UserDep) -> User:
    # Pages for signed-in people answer 404 to everyone else, like members-only pages.
    if user is None:
        raise HTTPException(status_code=404, detail="Page not found")
    return user


def require_admin(user: UserDep) -> User:
    if user is None or not user.is_admin:
        raise HTTPException(status_code=404, detail="Page not found")
    return user


SignedInDep = Annotated[User, Depends(require_user)]
AdminDep = Annotated[User, Depends(require_admin)]


# --- CSRF --------------------------------------------------------------------------


def _csrf_basis(request: Request, settings: Settings) -> str:
    """What a form token is bound to: the session if signed in, else a random cookie."""
    sid = session_id(settings, request.cookies.get(SESSION_COOKIE))
    if sid is not None:
        return "s:" + sid
    anon = getattr(request.state, "csrf_anon", None) or request.cookies.get(CSRF_COOKIE)
    if not anon:
        anon = secrets.token_urlsafe(24)
        request.state.csrf_anon_new = anon
    request.state.csrf_anon = anon
    return "a:" + anon


def csrf_token(request: Request) -> str:
    settings: Settings = request.app.state.settings
    key = hashlib.sha256(_CSRF_SALT + settings.web.secret_key.encode("utf-8")).digest()
    return hmac.new(key, _csrf_basis(request, settings).encode("utf-8"), hashlib.sha256).hexdigest()


def remember_csrf_cookie(request: Request, response: Response) -> None:
    """Send the anonymous CSRF cookie when a form was rendered for a new visitor."""
    value = getattr(request.state, "csrf_anon_new", None)
    if value:
        settings: Settings = request.app.state.settings
        response.set_cookie(CSRF_COOKIE, value, path="/", httponly=True, samesite="lax", secure=_secure(settings))


async def check_csrf(request: Request) -> None:
    """Dependency for every POST form: the token must match this browser's session or cookie."""
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not isinstance(given, str) or not hmac.compare_digest(given, csrf_token(request)):
        raise HTTPException(
            status_code=403,
            detail="This form has expired or came from another site. Go back, reload the page and try again.",
        )


CsrfDep = Depends(check_csrf)
