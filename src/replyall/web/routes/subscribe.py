"""The daily summary on the web: subscribe form (double opt-in), confirm link, one-click unsubscribe (RFC 8058), preview."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from replyall.db.models import Archive
from replyall.digest import links, queries, schedule, subscriptions
from replyall.digest.relay import send_one
from replyall.digest.render import digest_subject, render_digest
from replyall.digest.tokens import CONFIRM, TokenError, read_token
from replyall.web import auth
from replyall.web.access import ArchiveDep, not_found
from replyall.web.deps import ClockDep, DbDep, SessionDep, SettingsDep
from replyall.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

TokenQuery = Annotated[str, Query(max_length=1000)]


def _page(request: Request, name: str, context: dict, status_code: int = 200) -> Response:
    context = {"csrf_token": auth.csrf_token(request), **context}
    response = render(request, name, context, status_code=status_code)
    auth.remember_csrf_cookie(request, response)
    return response


def _archive(session, slug: str) -> Archive:
    """Any configured archive, readable or not: confirm and unsubscribe links are their own authority."""
    archive = session.scalars(select(Archive).where(Archive.slug == slug)).first()
    if archive is None:
        raise not_found("Archive")
    return archive


@router.get("/a/{slug}/digest/subscribe", name="digest_subscribe")
def subscribe_form(request: Request, archive: ArchiveDep, settings: SettingsDep, user: auth.UserDep):
    return _page(request, "subscribe/form.html", {
        "archive": archive, "section": "digest", "address": user.address if user else "", "error": "",
        "send_time": settings.digest.send_time, "command": links.command_address(settings, archive.slug, "subscribe"),
    })


@router.post("/a/{slug}/digest/subscribe", dependencies=[Depends(auth.check_csrf)])
async def subscribe_request(
    request: Request, archive: ArchiveDep, background: BackgroundTasks, settings: SettingsDep, db: DbDep,
    clock: ClockDep, address: Annotated[str, Form(max_length=320)] = "",
):
    slug = archive.slug

    try:
        outcome = await db.write(lambda s: subscriptions.request(s, settings, clock, slug, address, source="web"))
    except subscriptions.SubscriptionError as exc:
        return _page(request, "subscribe/form.html", {
            "archive": archive, "section": "digest", "address": address, "error": str(exc), "send_time": settings.digest.send_time,
            "command": links.command_address(settings, slug, "subscribe"),
        }, status_code=400)
    if outcome.mail is not None and outcome.subscriber is not None:
        # After the response: the page and its timing say nothing about the address.
        background.add_task(send_one, settings, outcome.mail, outcome.subscriber.address, what="subscription mail")
    return _page(request, "subscribe/sent.html", {"archive": archive, "address": subscriptions.normalise(address)})


@router.get("/a/{slug}/digest/confirm", name="digest_confirm")
def confirm_form(request: Request, slug: str, session: SessionDep, settings: SettingsDep, clock: ClockDep, token: TokenQuery = ""):
    # Outlook Safe Links, Mimecast and Proofpoint open every link in a message; a GET
    # that confirmed would subscribe whoever an attacker typed in. The link shows a
    # button and only the POST confirms.
    archive = _archive(session, slug)
    try:
        data = read_token(settings, clock, CONFIRM, token)
        if data.archive != slug:
            raise TokenError("this link is not valid")
    except TokenError as exc:
        return _page(request, "subscribe/invalid.html", {"archive": archive, "reason": str(exc), "expired": exc.expired}, 400)
    return _page(request, "subscribe/confirm.html", {"archive": archive, "address": data.address, "token": token})


@router.post("/a/{slug}/digest/confirm")
async def confirm(request: Request, slug: str, db: DbDep, settings: SettingsDep, clock: ClockDep,
                  token: Annotated[str, Form(max_length=1000)] = ""):
    # No CSRF token: the signed token in the form is the proof, and it reaches only
    # the mailbox it names.
    try:
        outcome = await db.write(lambda s: (subscriptions.confirm(s, settings, clock, slug, token), _archive(s, slug)))
    except TokenError as exc:
        with db.reader() as session:
            archive = _archive(session, slug)
        return _page(request, "subscribe/invalid.html", {"archive": archive, "reason": str(exc), "expired": exc.expired}, 400)
    except subscriptions.SubscriptionError:
        raise not_found("Archive") from None
    result, archive = outcome
    return _page(request, "subscribe/confirmed.html", {
        "archive": archive, "address": result.subscriber.address, "already": result.status == "already_active",
        "send_time": settings.digest.send_time,
    })


@router.get("/a/{slug}/digest/unsubscribe", name="digest_unsubscribe")
def unsubscribe_form(request: Request, slug: str, session: SessionDep, settings: SettingsDep, clock: ClockDep, token: TokenQuery = ""):
    archive = _archive(session, slug)
    try:
        data = read_token(settings, clock, "unsubscribe", token)
        if data.archive != slug:
            raise TokenError("this link is not valid")
    except TokenError as exc:
        return _page(request, "subscribe/invalid.html", {"archive": archive, "reason": str(exc), "expired": exc.expired,
                                                         "command": links.command_address(settings, slug, "unsubscribe")}, 400)
    return _page(request, "subscribe/unsubscribe.html", {"archive": archive, "address": data.address, "token": token})


@router.post("/a/{slug}/digest/unsubscribe")
async def unsubscribe(request: Request, slug: str, db: DbDep, settings: SettingsDep, clock: ClockDep, token: TokenQuery = ""):
    """RFC 8058 one-click: mail providers POST "List-Unsubscribe=One-Click" to the URL from
    the List-Unsubscribe header, with no cookies; the signed token in the URL is the
    authority. Our own confirm button posts the same form.
    """
    form = await request.form()
    if token == "":
        token = str(form.get("token") or "")
    try:
        outcome = await db.write(lambda s: (subscriptions.unsubscribe_by_token(s, settings, clock, slug, token), _archive(s, slug)))
    except TokenError as exc:
        with db.reader() as session:
            archive = _archive(session, slug)
        return _page(request, "subscribe/invalid.html", {"archive": archive, "reason": str(exc), "expired": exc.expired,
                                                         "command": links.command_address(settings, slug, "unsubscribe")}, 400)
    except subscriptions.SubscriptionError:
        raise not_found("Archive") from None
    result, archive = outcome
    log.info("digest unsubscribed", extra={"archive": slug, "one_click": form.get("List-Unsubscribe") == "One-Click"})
    return _page(request, "subscribe/unsubscribed.html", {
        "archive": archive, "address": result.subscriber.address if result.subscriber else "",
    })


@router.get("/a/{slug}/digest/preview", name="digest_preview")
def preview(request: Request, archive: ArchiveDep, session: SessionDep, settings: SettingsDep, clock: ClockDep,
            day: Annotated[date | None, Query(alias="date")] = None):
    latest = schedule.latest_due_day(clock.now(), settings)
    day = day or latest
    found = queries.digest_for(session, settings, archive.slug, day)
    if found is None:
        raise not_found("Archive")
    text, _html = render_digest(
        settings, found, unsubscribe_url=links.subscribe_url(settings, archive.slug),
        archive_url=links.archive_url(settings, archive.slug),
        command_unsubscribe=links.command_address(settings, archive.slug, "unsubscribe"),
    )
    return _page(request, "subscribe/preview.html", {
        "archive": archive, "section": "digest", "digest": found, "subject": digest_subject(found), "text": text,
        "complete": schedule.send_at(day, settings) <= clock.now(), "skip_empty": settings.digest.skip_empty,
        "previous": day.fromordinal(day.toordinal() - 1), "next": day.fromordinal(day.toordinal() + 1) if day < latest else None,
    })
