"""`replyall bans`: add (also from standard input), list and lift, each audited; bad input says what to type."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from replyall.cli import cli
from replyall.cli.bans import bans
from replyall.cli.common import AppContext
from replyall.db.models import AuditEntry, SenderBan


def run(settings, clock, *args: str, stdin: str | None = None):
    app = AppContext(None, _settings=settings)
    app.clock = clock
    return CliRunner().invoke(bans, list(args), obj=app, input=stdin, catch_exceptions=False)


def bans_in(db) -> list[tuple[str, str]]:
    with db.reader() as session:
        return [(b.pattern, b.created_by) for b in session.scalars(select(SenderBan).order_by(SenderBan.pattern))]


def test_bans_are_added_from_arguments_and_standard_input_listed_and_lifted(db, settings, clock):
    added = run(settings, clock, "add", "--archive", "comms-network", "--by", "ops@council.gov.uk",
                "Offers@Pills.Example", "-", stdin="# from the old list server\n*@spam.example\n\noffers@pills.example\n")
    assert added.exit_code == 0, added.output
    assert "banned 2 of 3 in comms-network: offers@pills.example, @spam.example" in added.output
    assert bans_in(db) == [("@spam.example", "ops@council.gov.uk"), ("offers@pills.example", "ops@council.gov.uk")]

    listed = run(settings, clock, "list")
    assert listed.exit_code == 0
    assert listed.output.splitlines() == [
        "comms-network\t@spam.example\t2026-11-20 09:30\tops@council.gov.uk",
        "comms-network\toffers@pills.example\t2026-11-20 09:30\tops@council.gov.uk",
    ]

    lifted = run(settings, clock, "lift", "--archive", "comms-network", "@spam.example", "nobody@spam.example")
    assert lifted.exit_code == 0 and "lifted 1 of 2 in comms-network: @spam.example" in lifted.output
    assert bans_in(db) == [("offers@pills.example", "ops@council.gov.uk")]
    with db.reader() as session:
        audit = [(e.action, e.target) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert audit == [("ban", "address:offers@pills.example"), ("ban", "address:@spam.example"),
                     ("unban", "address:@spam.example")]


def test_bans_is_a_command_of_replyall():
    assert cli.commands["bans"] is bans
    assert "Sender bans" in CliRunner().invoke(cli, ["bans", "--help"]).output


def test_bad_input_changes_nothing_and_says_what_to_do(db, settings, clock):
    typo = run(settings, clock, "add", "--archive", "comms-network", "offers@pills.example", "pills")
    assert typo.exit_code == 2 and "Give an address (name@example.org), or @example.org" in typo.output
    unknown = run(settings, clock, "add", "--archive", "nope", "offers@pills.example")
    assert unknown.exit_code == 2 and "no archive 'nope' in the config" in unknown.output
    empty = run(settings, clock, "add", "--archive", "comms-network")
    assert empty.exit_code == 2 and "give at least one address or @domain" in empty.output
    assert bans_in(db) == []
    assert run(settings, clock, "list").output == "No sender is banned.\n"
