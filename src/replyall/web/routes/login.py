"""Sign in by emailed link (/login), confirm the link (/login/confirm), sign out (/logout)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from replyall.config import Settings
from replyall.digest.relay import send_one
from replyall.members import may_sign_in, normalise
from replyall.web import auth
from replyall.web.deps import ClockDep, DbDep, SessionDep, SettingsDep
from replyall.web.ratelimit import limit_login, may_mail
from replyall.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, context: dict, status_code: int = 200) -> Response:
    context = {"csrf_token": auth.csrf_token(request), **context}
    response = render(request, name, context, status_code=status_code)
    auth.remember_csrf_cookie(request, response)
    return response


def safe_next(value: str | None) -> str:
    """Only a path on this site: never //host or a full URL (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@router.get("/login", name="login", response_class=HTMLResponse)
def login_form(request: Request, user: auth.UserDep, next: str = "/"):
    return _page(request, "login/request.html", {"user": user, "next": safe_next(next), "error": ""})


def login_email(settings: Settings, address: str, body: str) -> EmailMessage:
    """The sign-in mail; its text comes from templates/email/login.txt."""
    message = EmailMessage()
    message["From"] = settings.relay.from_address
    message["To"] = address
    message["Subject"] = "Your sign-in link for the archive"
    message["Message-ID"] = make_msgid(domain=settings.smtp.hostname)
    # RFC 3834: an automatic message; auto-responders must not answer it, and our own
    # classifier marks it auto-generated should it ever come back to an archive.
    message["Auto-Submitted"] = "auto-generated"
    message["X-No-Archive"] = "yes"
    message.set_content(body)
    return message


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(auth.check_csrf), Depends(limit_login)])
async def login_request(
    request: Request,
    background: BackgroundTasks,
    settings: SettingsDep,
    db: DbDep,
    clock: ClockDep,
    address: Annotated[str, Form(max_length=320)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    address = normalise(address)
    if "@" not in address or " " in address:
        context = {"user": None, "next": safe_next(next), "error": "Enter an email address, like name@example.gov.uk."}
        return _page(request, "login/request.html", context, status_code=400)

    def issue(session) -> str | None:
        if not may_sign_in(session, settings, address):
            return None
        return auth.issue_login_token(session, settings, clock, address)

    # Both known and unknown addresses take the same path through the writer, and the
    # mail goes out after the response: the answer and its timing do not tell them apart.
    token = await db.write(issue)
    if token is not None and may_mail(request, address):
        link = f"{settings.web.base_url}{request.app.url_path_for('login_confirm')}?token={token}"
        if safe_next(next) != "/":
            link += f"&next={_quote(safe_next(next))}"
        body = request.app.state.templates.get_template("email/login.txt").render(
            link=link, minutes=settings.auth.login_link_minutes, base_url=settings.web.base_url,
            when=format_datetime(clock.now()),
        )
        message = login_email(settings, address, body)
        background.add_task(send_one, settings, message, address, what="sign-in link")
    return _page(request, "login/sent.html", {"address": address, "minutes": settings.auth.login_link_minutes})


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="/")


@router.get("/login/confirm", name="login_confirm", response_class=HTMLResponse)
def login_confirm_form(request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep,
                       token: str = "", next: str = "/"):
    # Mail security scanners (Outlook Safe Links, Mimecast, Proofpoint) open every
    # link in a message; a GET that signed in would spend the single use before the
    # person ever clicked. So the link shows a button, and only the POST signs in.
    address = auth.peek_login_token(session, settings, clock, token) if token else None
    if address is None:
        return _page(request, "login/invalid.html", {}, status_code=400)
    return _page(request, "login/confirm.html", {"address": address, "token": token, "next": safe_next(next)})


@router.post("/login/confirm", response_class=HTMLResponse, dependencies=[Depends(auth.check_csrf)])
async def login_confirm(
    request: Request,
    settings: SettingsDep,
    db: DbDep,
    clock: ClockDep,
    token: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    def redeem(session) -> str | None:
        address = auth.redeem_login_token(session, settings, clock, token)
        return auth.start_session(session, settings, clock, address) if address else None

    cookie = await db.write(redeem)
    if cookie is None:
        return _page(request, "login/invalid.html", {}, status_code=400)
    response = RedirectResponse(safe_next(next), status_code=303)
    auth.set_session_cookie(response, settings, cookie)
    return response


@router.post("/logout", name="logout", dependencies=[Depends(auth.check_csrf)])
async def logout(request: Request, settings: SettingsDep, db: DbDep):
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    await db.write(lambda session: auth.end_session(session, settings, cookie))
    response = RedirectResponse("/", status_code=303)
    auth.clear_session_cookie(response, settings)
    return response
