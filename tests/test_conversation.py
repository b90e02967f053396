"""A real conversation with the unmodified bot over HTTP (the Bot API double): nothing said before it is
true, repeated taps are no errors, every button is answered, a failing getChatMember is explained."""

from __future__ import annotations

import logging
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

from bot.alerts.alert import Alert
from bot.alerts.render import WINDOW_WORDS, to_html
from bot.alerts.send import Sender
from bot.app import Database, poll_once
from bot.catalog.feeds import add_feed
from bot.pipeline.fetch import FeedClient
from bot.telegram.transport import TelegramTransport
from storage import chats
from storage.claims import add_state
from storage.models import ClaimState, Feed, Sighting, Story, Subscription
from storage.sightings import add_sighting
from testkit.botapi import seed_alert
from tests.feedserver import FeedServer
from tests.test_telegram_bot import CLAIM, USER, Env, rss
from tests.test_telegram_bot import env as env  # noqa: F401  (the fixture)

SORRY = "Something went wrong"


async def settle(env: Env, chat: int) -> None:
    """Every update of ``chat`` pushed so far is handled (one chat's updates are handled in order)."""
    await env.ask(chat, "/help")


def apologies(env: Env) -> list[str]:
    texts = [str(c.params.get("text") or "") for c in env.api.calls_to("answerCallbackQuery")]
    return [t for t in texts + [s.text for s in env.api.messages()] if SORRY in t]


async def _fail_commits_of_mutes(env: Env) -> None:
    """The database refuses to store a mute, as a full disk would: the failure comes at commit."""
    async with env.db.sessionmaker.begin() as session:
        assert session.bind is not None
        if session.bind.dialect.name == "sqlite":
            await session.execute(
                text(
                    "CREATE TRIGGER no_mute BEFORE UPDATE OF muted_until ON subscriptions "
                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                )
            )
        else:
            await session.execute(
                text(
                    "CREATE FUNCTION no_mute() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
                )
            )
            await session.execute(
                text(
                    "CREATE TRIGGER no_mute BEFORE UPDATE OF muted_until ON subscriptions "
                    "FOR EACH ROW EXECUTE FUNCTION no_mute()"
                )
            )


async def test_a_failed_commit_is_never_preceded_by_a_reply_that_announced_it(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="bot.telegram.errors")  # the failure is expected here
    assert "Tracking" in await env.ask(USER, f"/track {CLAIM}")
    await _fail_commits_of_mutes(env)
    reply = await env.ask(USER, "/mute 1 2h")
    assert SORRY in reply  # the first thing said is the truth: it did not work
    await settle(env, USER)
    assert not [s for s in env.api.messages(USER) if "muted" in s.text]
    assert await env.one(select(Subscription.muted_until)) == [None]


@pytest.mark.parametrize("env", [{"claims_page_size": 1}], indirect=True)
async def test_repeated_taps_that_change_nothing_are_no_errors(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    await env.ask(USER, f"/track {CLAIM}")
    await env.ask(USER, "/track Poland joins the coalition against inflation")
    pages = await env.api.reply_to(USER, "/claims")
    assert [t for t, _ in pages.buttons()] == ["1/2", "Next ›"]
    await env.press(USER, "1/2")  # the page shown already
    await env.api.reply_to(USER, "/settings")
    await env.press(USER, "• Every sighting")  # the setting chosen already
    async with env.db.sessionmaker.begin() as session:
        await seed_alert(session, [(USER, 0)])
    transport = TelegramTransport.from_settings(env.settings)
    try:
        await Sender(env.db.sessionmaker, transport, env.settings.delivery).drain()
    finally:
        await transport.close()
    await env.press(USER, "Relevant")
    await env.press(USER, "Relevant")  # the same answer again
    await settle(env, USER)
    not_modified = [c for c in env.api.calls if c.method.startswith("editMessage")]
    assert len(not_modified) == 4  # all four edits were made: Telegram refused three as "not modified"
    assert apologies(env) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_failing_get_chat_member_is_explained(env: Env) -> None:
    group = -100777
    env.api.fail("getChatMember", 400, "Bad Request: member list is inaccessible")
    reply = await env.ask(group, f"/track {CLAIM}", user_id=42)
    assert reply.startswith("I could not check whether you are an admin of this group")
    assert apologies(env) == [] and await env.one(select(Subscription)) == []
    env.api.fail("getChatMember", 0)  # healed: the same command now works
    env.api.admins[group] = {42}
    assert "Tracking" in await env.ask(group, f"/track {CLAIM}", user_id=42)


@pytest.mark.parametrize("env", [{"flood_limit": 4, "claims_page_size": 1}], indirect=True)
async def test_every_tap_is_answered_and_taps_do_not_use_up_the_commands(env: Env) -> None:
    await env.ask(USER, f"/track {CLAIM}")
    await env.ask(USER, "/track Poland joins the coalition against inflation")
    pages = await env.api.reply_to(USER, "/claims")  # three of the four messages a minute
    taps = 14  # a busy minute of paging: more than the taps' budget (3 per message: 12)
    for i in range(taps):
        env.api.push_button(pages, pages.buttons()[-1][1] if i % 2 == 0 else "cl:0")
    answers = await env.api.wait_for(
        lambda: (found := env.api.calls_to("answerCallbackQuery")) and len(found) >= taps and found,
        timeout=10,
    )
    assert len(answers) == taps  # none left spinning
    toasts = [str(a.params.get("text") or "") for a in answers]
    assert sum("Slow down" in t for t in toasts) == taps - 12
    assert "Commands" in await env.ask(USER, "/help")  # the fourth message: the taps did not count
    assert "too fast" in await env.ask(USER, "/help")


class Wire:
    """A feed the test writes stories into, polled (and the outbox drained) on demand."""

    def __init__(self, env: Env, server: FeedServer) -> None:
        self.env, self.server, self.items = env, server, [("a0", "Weather", "Sunny skies all week.")]
        self.url = server.feed("/wire", rss(*self.items))

    async def poll(self, *items: tuple[str, str, str]) -> None:
        env = self.env
        self.items += items
        self.server.feed("/wire", rss(*self.items))
        async with env.db.sessionmaker.begin() as session:
            await session.execute(update(Feed).values(next_check_at=datetime.now(UTC), etag=None))
        transport = TelegramTransport.from_settings(env.settings)
        try:
            async with FeedClient(env.settings.feeds) as client:
                database = Database(env.db.engine, env.db.sessionmaker)
                await poll_once(env.settings, database, client, transport)
        finally:
            await transport.close()


async def test_not_this_claim_undoes_the_change_and_the_latest_answer_decides(env: Env) -> None:
    other = 502
    # The answers here are about the claim's state; their other effect, moving this chat's alert
    # threshold, would make the last alert depend on the matcher's score margin.
    env.settings.telegram.__dict__["feedback_step"] = 0.1
    async with FeedServer() as server:
        wire = Wire(env, server)
        async with env.db.sessionmaker.begin() as session:
            await add_feed(session, wire.url, env.settings.feeds, trusted=True)
        await wire.poll()  # the baseline
        await env.ask(USER, f"/track {CLAIM}")
        async with env.db.sessionmaker.begin() as session:  # another chat follows the same claim
            await chats.ensure_chat(session, other)
            await chats.subscribe(session, other, 1)
        moved = "Russia moved 180 tanks to the Ukrainian border on Monday, officials said."
        await wire.poll(("a1", "Russia moves tanks to the border", moved))
        alert = await env.api.wait_message(USER, after=1)
        assert "Claim changed" in alert.text and "180" in alert.text
        await env.api.wait_message(other)

        await env.press(USER, "Not this claim")
        states = await env.until(select(ClaimState), lambda rows: rows[-1].reverted_at is not None)
        assert len(states) == 2  # the change is undone: the claim is back to "hundreds"
        assert "(reverted)" in await env.ask(USER, "/claim 1")
        await env.press(other, "Relevant")  # another chat says it was right: the latest answer decides
        await env.until(select(ClaimState.reverted_at), lambda rows: rows[-1] is None)
        await env.press(USER, "Not this claim")
        await env.until(select(ClaimState.reverted_at), lambda rows: rows[-1] is not None)

        again = "Russia moved 180 tanks to the Ukrainian border again on Tuesday, officials said."
        await wire.poll(("a2", "Tanks at the border again", again))
        second = await env.api.wait_message(USER, after=3)
        # Compared with the restored state (hundreds), 180 tanks is a change again, not a recurrence.
        assert "Claim changed" in second.text and "180" in second.text
        assert await env.one(select(Sighting.kind)) == ["changed", "changed"]


def channel(title: str, *items: tuple[str, str, str]) -> bytes:
    return rss(*items).replace(b"<title>Wire</title>", f"<title>{title}</title>".encode(), 1)


async def test_one_channel_in_two_feeds_is_one_source_and_a_renamed_channel_renames_its_feed(
    env: Env,
) -> None:
    async with FeedServer() as server:
        weather = ("w", "Weather", "Sunny skies all week.")
        urls = [server.feed(path, channel("Local Defence Wire", weather)) for path in ("/rss", "/atom")]
        async with env.db.sessionmaker.begin() as session:
            for url in urls:
                await add_feed(session, url, env.settings.feeds, trusted=True)
        wire = Wire(env, server)
        await wire.poll()  # the baselines
        await env.ask(USER, f"/track {CLAIM}")
        story = ("a1", "Tanks move", "Russia moved 180 tanks to the Ukrainian border, officials said.")
        for path in ("/rss", "/atom"):
            server.feed(path, channel("Local Defence Wire", weather, story))
        await wire.poll()
        alert = await env.api.wait_message(USER, after=1)
        [sources] = [line for line in alert.text.splitlines() if line.startswith("Sources:")]
        assert sources.count("Local Defence Wire") == 1
        server.feed("/rss", channel("Defence Wire Daily", weather, story))
        await wire.poll()
        listing = await env.ask(USER, "/feeds")
        assert "Defence Wire Daily" in listing and "Local Defence Wire" in listing


async def test_addfeed_tries_the_feed_first_and_says_why_it_cannot_be_used(env: Env) -> None:
    admin = env.settings.telegram.admins[0]
    async with FeedServer() as server:
        assert "I can't add that feed" in await env.ask(admin, f"/addfeed {server.url('/x')}")  # private
        env.settings.feeds.__dict__["allow_private_networks"] = True
        env.settings.telegram.__dict__["allow_private_feeds"] = True  # the bot's own switch
        missing = await env.ask(admin, f"/addfeed {server.url('/missing')}")
        assert missing == "I can't add that feed: HTTP 404 Not Found."
        page = server.respond("/page", body=b"<html><body>Hello</body></html>", content_type="text/html")
        assert (await env.ask(admin, f"/addfeed {page}")).startswith("I can't add that feed: not a feed")
        good = server.feed(
            "/rss", channel("Defence &amp; Wire", ("a", "Tanks <b>moved</b>", "y."), ("b", "Older", "x."))
        )
        added = await env.ask(admin, f"/addfeed {good}")
    assert added.startswith("Added feed #1: <b>Defence &amp; Wire</b>")
    assert "2 items now; the newest:\n• Tanks moved" in added  # no dates: the feed's first entry
    assert await env.one(select(Feed.title)) == ["Defence & Wire"]


async def test_wording_one_sighting_capitals_and_mute_times_in_the_chats_zone(env: Env) -> None:
    assert await env.ask(USER, "/track ab") == (
        "A claim needs at least 3 characters of text. "
        "For example: /track Russia moved hundreds of tanks to the border"
    )
    async with env.db.sessionmaker.begin() as session:
        claim_id, _, _ = await seed_alert(session, [(USER, 0)], claim_text=CLAIM)
    assert "1 sighting ·" in await env.ask(USER, "/claims")
    await env.ask(USER, "/settings tz America/New_York")
    muted = await env.ask(USER, f"/mute {claim_id} 2h")
    assert muted.startswith(f"🔕 #{claim_id} muted until ") and " America/New_York." in muted
    [until] = await env.one(select(Subscription.muted_until))
    shown = until.astimezone(ZoneInfo("America/New_York"))
    assert f"{shown:%Y-%m-%d %H:%M} America/New_York" in muted
    assert f"Muted until {shown:%Y-%m-%d %H:%M} America/New_York" in await env.ask(USER, f"/claim {claim_id}")


def test_a_quote_cut_from_a_run_on_sentence_shows_where_it_was_cut() -> None:
    window = " ".join(f"word{i}" for i in range(WINDOW_WORDS))  # a window: no end, lower-case start
    alert = Alert(1, "A claim", "recurs", 80.0, "Headline", None, window)
    quote = next(line for line in to_html(alert).splitlines() if line.startswith("<blockquote>"))
    assert quote == f"<blockquote>…{window}…</blockquote>"
    whole = "Officials said the tanks moved."
    assert f"<blockquote>{whole}</blockquote>" in to_html(Alert(1, "c", "recurs", 80.0, "h", None, whole))


async def _history_with_a_change(env: Env) -> int:
    """A claim tracked here with sightings on three days and one change of state (undone later)."""
    async with env.db.sessionmaker.begin() as session:
        claim_id, sighting_id, _ = await seed_alert(session, [(USER, 0)], claim_text=CLAIM)
        for days, guid in ((9, "b"), (9, "c"), (3, "d")):
            story = Story(fingerprint=guid, title=guid)
            session.add(story)
            await session.flush()
            at = datetime.now(UTC) - timedelta(days=days)
            await add_sighting(
                session,
                claim_id=claim_id,
                story_id=story.id,
                score=80.0,
                sentence="s",
                kind="recurs",
                level="alert",
                changes=[],
                terms=[],
                story_title=guid,
                story_link=None,
                created_at=at,
            )
        await add_state(
            session,
            claim_id,
            {},
            story_id=None,
            story_published_at=None,
            sighting_id=sighting_id,
            note="count: hundreds → 180 tanks",
        )
    return claim_id


async def test_claim_sends_a_timeline_picture_with_the_current_state_as_caption(env: Env) -> None:
    pytest.importorskip("matplotlib")
    claim_id = await _history_with_a_change(env)
    env.api.push_text(USER, f"/claim {claim_id}")
    history = await env.api.wait_message(USER)
    [(chat, png)] = env.api.photos
    [photo] = [s for s in env.api.sent if s.method == "sendPhoto"]
    assert chat == USER and png.startswith(b"\x89PNG") and 2_000 < len(png) < 200_000
    assert photo.at < history.at  # the picture, then the text history
    assert photo.text == (
        f"<b>#{claim_id}</b> {CLAIM}\nNow: count: hundreds → 180 tanks · 4 sightings in 14 days"
    )
    assert "<b>States</b>" in history.text
    Path(tempfile.gettempdir(), "claimbot-timeline.png").write_bytes(png)  # to look at


async def test_claim_answers_in_text_without_the_plot_extra(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what an install without claimbot[plot] has
    claim_id = await _history_with_a_change(env)
    history = await env.ask(USER, f"/claim {claim_id}")
    assert "<b>States</b>" in history and "count: hundreds → 180 tanks" in history
    assert env.api.photos == [] and not env.api.calls_to("sendPhoto")
