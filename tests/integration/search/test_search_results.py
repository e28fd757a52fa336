"""Results: grouped by thread, ranked, snippets escaped, paginated; hidden and redacted mail never found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text

from replyall.db.models import Message
from replyall.search import index_message, rebuild, search, similar_threads, unindex_message


def day(n: int) -> datetime:
    return datetime(2025, 1, 1, 12, 0, tzinfo=UTC) + timedelta(days=n)


def test_one_result_per_thread_with_its_best_messages(mailer, find):
    root = mailer.send("Flu vaccine clinics", "Clinics open next week for staff vaccine appointments.", date=day(0))
    for i in range(4):
        mailer.send("Re: Flu vaccine clinics", f"Reply {i}: is the vaccine free for contractors?",
                    in_reply_to=root, date=day(i + 1), sender=f"P{i} <p{i}@nhs.example.uk>")
    mailer.send("Vaccine stock", "Vaccine stock arrives Monday.", date=day(2))
    page = find("vaccine")
    assert page.total == 2 and len(page.results) == 2
    flu = next(r for r in page.results if r.thread_key == mailer.thread_key(root))
    assert flu.match_count == 5
    assert len(flu.messages) == 3  # the best three, best first
    assert [m.score for m in flu.messages] == sorted((m.score for m in flu.messages), reverse=True)
    assert flu.score == flu.messages[0].score
    assert all(m.snippet.has_match for m in flu.messages)


def test_subject_match_ranks_above_body_match(mailer, find):
    # The body-only match is newer, so recency alone would put it first.
    mailer.send("Council tax reminders", "Letters go out in March.", date=day(0))
    mailer.send("Misc notes", "Someone asked about council tax reminders in passing.", date=day(30))
    page = find("reminders")
    assert [r.subject for r in page.results] == ["Council tax reminders", "Misc notes"]
    assert page.results[0].score > page.results[1].score


def test_sender_match_ranks_above_body_match(mailer, find):
    mailer.send("Note A", "Please ask Okonkwo about it.", date=day(30))
    mailer.send("Note B", "Here is the plan.", sender="Ada Okonkwo <ada@council.gov.uk>", date=day(0))
    assert [r.subject for r in find("okonkwo").results] == ["Note B", "Note A"]


def test_equal_scores_are_ordered_newest_first(mailer, find):
    for n, subject in ((0, "Old"), (9, "Newest"), (5, "Middle")):
        mailer.send(subject, "Identical text about the drainage survey.", date=day(n))
    page = find("drainage")
    assert len({r.score for r in page.results}) == 1
    assert [r.subject for r in page.results] == ["Newest", "Middle", "Old"]


def test_sort_by_date(mailer, find):
    mailer.send("Pothole map", "pothole pothole pothole", date=day(0))
    mailer.send("Roads", "one pothole", date=day(10))
    assert [r.subject for r in find("pothole").results][0] == "Pothole map"
    assert [r.subject for r in find("pothole", sort="date").results] == ["Roads", "Pothole map"]


def test_snippets_highlight_terms_and_escape_html(mailer, find):
    mailer.send("Web form", "After the upgrade & the Lottery bid, our form showed <script>alert('x')</script> to everyone.")
    best = find("upgrade lottery").results[0].best
    html = str(best.snippet.html())
    assert "<script" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<mark>upgrade</mark>" in html and "<mark>Lottery</mark>" in html
    assert "&amp;" in html
    assert [t for t, hit in best.snippet.segments if hit] == ["upgrade", "Lottery"]
    assert "<script>" in str(best.snippet)  # plain text keeps the characters, for JSON or text use
    assert best.snippet.__html__() == html


def test_prefix_and_folded_words_are_highlighted(mailer, find):
    mailer.send("Café opening", "The Café at Zoë's library reopens; recycling bins moved.")
    hits = [t for t, hit in find("cafe zoe recycl*").results[0].best.snippet.segments if hit]
    assert hits == ["Café", "Zoë", "recycling"]


def test_pagination(mailer, find):
    for i in range(25):
        mailer.send(f"Minutes {i:02d}", "minutes of the board meeting", date=day(i))
    pages = [find("minutes", page=p, per_page=10) for p in (1, 2, 3)]
    assert [p.total for p in pages] == [25, 25, 25]
    assert [len(p.results) for p in pages] == [10, 10, 5]
    keys = [r.thread_key for p in pages for r in p.results]
    assert len(set(keys)) == 25
    assert pages[0].has_next and pages[1].has_next and not pages[2].has_next and pages[2].pages == 3
    beyond = find("minutes", page=4, per_page=10)
    assert beyond.results == [] and beyond.total == 25


def test_hidden_redacted_and_auto_replies_are_not_returned(mailer, find, db):
    shown = mailer.send("Asbestos survey", "The asbestos survey is booked.")
    hidden = mailer.send("Asbestos (hidden)", "asbestos hidden copy")
    redacted = mailer.send("Asbestos (redacted)", "asbestos and a home phone number")
    mailer.send("Automatic reply: Asbestos", "I am out of the office; asbestos queries to Bob.",
                headers={"Auto-Submitted": "auto-replied"})
    with db.transaction() as s:
        s.scalars(select(Message).where(Message.message_id == hidden)).one().hidden = True  # no reindex: the query filters too
        msg = s.scalars(select(Message).where(Message.message_id == redacted)).one()
        msg.body, msg.redacted = "[redacted]", True
        index_message(s, msg)  # redaction drops the entry: the old text is gone from the index
    assert [r.subject for r in find("asbestos").results] == ["Asbestos survey"]
    assert {r.subject for r in find("asbestos", include_automated=True).results} == {
        "Asbestos survey", "Automatic reply: Asbestos"}
    assert find("phone").total == 0
    with db.reader() as s:
        mid = s.scalar(select(Message.id).where(Message.message_id == redacted))
        column = "rowid" if s.get_bind().dialect.name == "sqlite" else "message_id"
        assert s.execute(text(f"SELECT count(*) FROM search_fts WHERE {column} = :id"), {"id": mid}).scalar() == 0
    assert shown


def test_unindex_delete_and_rebuild(mailer, find, db):
    keep = mailer.send("Gull nuisance", "Gulls again on the town hall roof.")
    gone = mailer.send("Gull deterrents", "Gull spikes quote attached.")
    with db.transaction() as s:
        unindex_message(s, mailer.message(gone).id)
    assert [r.subject for r in find("gull").results] == ["Gull nuisance"]
    with db.transaction() as s:
        assert rebuild(s) == 2
    assert find("gull").total == 2
    with db.transaction() as s:
        # Deleting the message takes its entry with it (trigger on SQLite, cascade on PostgreSQL).
        s.execute(delete(Message).where(Message.message_id == gone))
        assert s.execute(text("SELECT count(*) FROM search_fts")).scalar() == 1
    assert [r.subject for r in find("gull").results] == ["Gull nuisance"] and keep


def test_archive_ids_restrict_results(mailer, db, settings):
    from replyall.search import readable_archive_ids

    mailer.send("Pension rules", "pension rules", archive="comms-network")
    mailer.send("Pension rules (members)", "pension rules", archive="private-list")
    with db.reader() as s:
        ids = readable_archive_ids(s, settings)
        assert [r.subject for r in search(s, "pension", archive_ids=ids).results] == ["Pension rules"]
        assert search(s, "pension", archive_ids=[]).total == 0


def test_similar_threads(mailer, db):
    base = mailer.send("Wildflower verges trial", "Mowing less on verges lets wildflower meadows grow; pollinators return.")
    mailer.send("Re: Wildflower verges trial", "Our verges trial with wildflower seed worked, pollinators counted.",
                in_reply_to=base)
    mailer.send("Verges and wildflower planting", "We seeded verges with wildflower mixes for pollinators.", date=day(3))
    mailer.send("Car park charges", "Charges rise in April for the car park.")
    mailer.send("Verges (private)", "verges wildflower pollinators", archive="private-list")
    with db.reader() as s:
        thread_id = mailer.message(base).thread_id
        similar = similar_threads(s, thread_id, limit=5)
        assert [t.subject for t in similar] == ["Verges and wildflower planting"]
        assert similar[0].key == similar[0].thread_key


def test_similar_threads_go_by_what_a_thread_says_not_what_it_quotes(mailer, db):
    base = mailer.send("Bin collection days", "Can someone confirm the new bin days?")
    mailer.send("Re: Bin collection days",
                "On Mon, 3 Mar 2025 at 10:00, Jane Smith wrote:\n> Did the pollinators survey go out?\n> And the verges?\n"
                "> And the wildflower seed?\n\nNot yet, and bins move to Tuesdays.\n", in_reply_to=base)
    mailer.send("Verges and wildflower planting", "We seeded verges with wildflower mixes for pollinators.", date=day(3))
    mailer.send("Tuesday bins", "Bins move to Tuesdays from April.", date=day(4))
    with db.reader() as s:
        similar = similar_threads(s, mailer.message(base).thread_id, limit=5)
        assert [t.subject for t in similar] == ["Tuesday bins"]


def test_ranking_from_a_few_best_candidates_matches_the_full_ranking(mailer, find, monkeypatch):
    from replyall.search import engine

    # 14 threads of one message each, 6 of them with the word in the subject too.
    for i in range(14):
        subject = f"Heatwave plan {i}" if i % 7 < 3 else f"Note {i}"
        mailer.send(subject, f"heatwave {'heatwave ' * (i % 4)}checklist {i}", date=day(i))
    full = [find("heatwave", page=p, per_page=4) for p in (1, 2, 3, 4)]
    assert all(p.total_exact and p.total == 14 for p in full)
    monkeypatch.setattr(engine, "CANDIDATES", 2)
    monkeypatch.setattr(engine, "GROWTH", 2)
    monkeypatch.setattr(engine, "CANDIDATES_PER_THREAD", 1)
    few = [find("heatwave", page=p, per_page=4) for p in (1, 2, 3, 4)]
    assert [[r.thread_key for r in p.results] for p in few] == [[r.thread_key for r in p.results] for p in full]
    assert [[r.score for r in p.results] for p in few] == [[r.score for r in p.results] for p in full]
    first = find("heatwave", page=1, per_page=2)
    assert not first.total_exact and first.total >= 3  # an estimate ("about"), flagged as such


def test_a_query_past_the_rank_window_ranks_its_newest_matches(mailer, find, monkeypatch):
    from replyall.search import engine

    # Ten one-message threads; the oldest has the word in its subject and would rank first.
    keys = []
    for i in range(10):
        subject = "Gritting rota" if i == 0 else f"Update {i}"
        keys.append(mailer.thread_key(mailer.send(subject, f"gritting note {i}", date=day(i))))
    full = find("gritting", per_page=20)
    assert full.total_exact and full.total == 10 and full.results[0].thread_key == keys[0]
    monkeypatch.setattr(engine, "RANK_WINDOW", 4)
    windowed = find("gritting", per_page=20)
    # Only the newest four matches are ranked (message ids grow with arrival here)...
    assert {r.thread_key for r in windowed.results} == set(keys[-4:])
    assert [r.score for r in windowed.results] == sorted((r.score for r in windowed.results), reverse=True)
    # ...and the total is an estimate, flagged as one, of the right size.
    assert not windowed.total_exact and 5 <= windowed.total <= 20
    # A query with fewer matches than the window is untouched.
    assert find("gritting rota", per_page=20).total_exact


def test_the_rank_window_counts_only_matches_this_search_can_show(db, mailer, find, monkeypatch):
    from replyall.search import engine

    # The newest matches are another archive's, the next newest are outside the date
    # range asked for: neither may crowd out what this search can show.
    ours = [mailer.send(f"Salt stock {i}", f"gritting salt {i}", date=day(i)) for i in range(3)]
    late = [mailer.send(f"Late {i}", f"gritting late {i}", date=day(40 + i)) for i in range(5)]
    for i in range(8):
        mailer.send(f"Private {i}", f"gritting private {i}", archive="private-list", date=day(60 + i))
    monkeypatch.setattr(engine, "RANK_WINDOW", 4)
    with db.reader() as session:
        comms = session.scalar(text("SELECT id FROM archives WHERE slug = 'comms-network'"))
    in_ours = find("gritting", archive_ids=[comms], per_page=20)
    assert {r.thread_key for r in in_ours.results} == {mailer.thread_key(m) for m in late[-4:]}
    early = find(f"gritting before:{day(30).date()}", archive_ids=[comms], per_page=20)
    assert early.total_exact and {r.thread_key for r in early.results} == {mailer.thread_key(m) for m in ours}
