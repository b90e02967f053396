"""The unmodified bot (run_polling) over HTTP against the Bot API double: commands, buttons, alerts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.alerts.render import shorten
from bot.alerts.send import Sender
from bot.app import Database, poll_once
from bot.catalog.feeds import add_feed
from bot.pipeline.fetch import FeedClient
from bot.settings import Settings
from bot.telegram.errors import UNKNOWN
from bot.telegram.polling import run_polling
from bot.telegram.transport import TelegramTransport
from storage.models import Chat, Claim, Feed, Sighting, Subscription
from testkit.botapi import TOKEN, BotAPI, Limits
from tests.conftest import Db, make_settings
from tests.feedserver import FeedServer

ADMIN = 42
USER = 501
CLAIM = "Russia moved hundreds of tanks to the Ukrainian border"


def rss(*items: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>https://news.example/{g}</link><description>{d}</description></item>"
        for g, t, d in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{body}</channel></rss>'.encode()
    )


@dataclass
class Env:
    api: BotAPI
    settings: Settings
    db: Db

    async def ask(self, chat: int, text: str, **kwargs: Any) -> str:
        return (await self.api.reply_to(chat, text, **kwargs)).text

    async def press(self, chat: int, label: str, *, user_id: int | None = None) -> None:
        sent = next(s for s in reversed(self.api.messages(chat)) if any(label in t for t, _ in s.buttons()))
        data = next(d for t, d in sent.buttons() if label in t)
        before = len(self.api.calls_to("answerCallbackQuery"))
        self.api.push_button(sent, data, user_id=user_id)
        await self.api.wait_for(lambda: len(self.api.calls_to("answerCallbackQuery")) > before)

    async def until(self, query: Any, check: Any, timeout: float = 30.0) -> Any:
        """The rows of ``query`` once ``check(rows)`` holds (an update commits after its replies).

        A commit calls nobody, so this re-reads: returns as soon as it holds; the timeout only bounds failure.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while not check(rows := await self.one(query)):
            assert asyncio.get_running_loop().time() < deadline, f"the database never got there: {rows}"
            await asyncio.sleep(0.02)
        return rows

    async def one(self, query: Any) -> Any:
        async with self.db.sessionmaker() as session:
            return (await session.execute(query)).scalars().all()


@contextlib.asynccontextmanager
async def running_bot(db: Db, telegram: dict[str, Any], **sections: Any) -> AsyncIterator[Env]:
    """The unmodified bot polling a Bot API double, with ``telegram`` and other settings sections."""
    async with BotAPI(limits=Limits(chat_burst=100)) as api:  # replies to commands come in bursts
        telegram = {"token": TOKEN, "api_base": api.base, "polling_timeout": 1, **telegram}
        settings = make_settings(db.url, telegram=telegram, **sections)
        task = asyncio.create_task(run_polling(settings, db.sessionmaker))
        try:
            await api.wait_for(lambda: api.calls_to("getUpdates"))
            yield Env(api, settings, db)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def env(db: Db, request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    telegram = {"admins": [ADMIN], **getattr(request, "param", {})}
    async with running_bot(db, telegram, delivery={"per_chat_interval": 0.05}) as env:
        yield env


async def test_start_help_and_the_command_list(env: Env) -> None:
    reply = await env.ask(USER, "/start")
    assert len(reply.splitlines()) == 3 and "/track" in reply
    [commands] = env.api.calls_to("setMyCommands")
    for name in ("track", "claims", "claim", "untrack", "mute", "unmute", "settings", "stop", "feeds"):
        assert f'"{name}"' in commands.params["commands"]
        assert f"/{name}" in await env.ask(USER, "/help") if name == "track" else True
    help_text = await env.ask(USER, "/help")
    assert "/mute 12 3d" in help_text and "/claim 12" in help_text
    assert env.api.calls_to("deleteWebhook")
    assert (await env.one(select(Chat.id).where(Chat.id == USER))) == [USER]


async def test_track_then_a_matching_story_alerts_with_buttons_and_feedback_learns(env: Env) -> None:
    async with FeedServer() as feeds:
        url = feeds.feed("/wire", rss(("a1", "Weather report", "Sunny skies over the coast all week.")))
        async with env.db.sessionmaker.begin() as session:
            await add_feed(session, url, env.settings.feeds, trusted=True)
        transport = TelegramTransport.from_settings(env.settings)
        database = Database(env.db.engine, env.db.sessionmaker)
        async with FeedClient(env.settings.feeds) as client:
            await poll_once(env.settings, database, client, transport)  # the baseline poll
            reply = await env.ask(USER, f"/track {CLAIM}")
            assert "Tracking <b>#1</b>" in reply and "Alerts from score 70" in reply
            # the user's own words, never stems ("tank", "hundr", "ukrain")
            spelled = ("russia", "moved", "hundreds", "tanks", "ukrainian", "border")
            assert ", ".join(f"<b>{w}</b>" for w in spelled) in reply
            feeds.feed(
                "/wire",
                rss(
                    (
                        "a2",
                        "Russia moves tanks to the border",
                        "Russia moved 180 tanks to the Ukrainian border on Monday, officials said.",
                    )
                ),
            )
            async with env.db.sessionmaker.begin() as session:
                await session.execute(update(Feed).values(next_check_at=datetime.now(UTC), etag=None))
            await poll_once(env.settings, database, client, transport)
        await transport.close()
    alert = await env.api.wait_message(USER, after=1)
    assert "#1" in alert.text and "Russia moves tanks to the border" in alert.text and "Score" in alert.text
    assert [t for t, _ in alert.buttons()] == ["✅ Relevant", "❌ Not this claim", "🔕 Mute"]
    await env.press(USER, "Not this claim")
    await env.until(select(Sighting.feedback), lambda rows: "wrong" in rows)
    await env.press(USER, "Not this claim")  # the same answer twice counts once
    await env.api.wait_for(lambda: len(env.api.calls_to("editMessageReplyMarkup")) == 2)
    await env.until(select(Subscription.threshold_offset), lambda rows: rows == [5.0])
    assert "offset here: +5 (alerts from score 75)" in await env.ask(USER, "/claim 1")
    await env.press(USER, "Relevant")
    await env.until(select(Subscription.threshold_offset), lambda rows: rows == [0.0])
    assert "✅" in await env.ask(USER, "/claim 1")
    await env.press(USER, "Mute")
    await env.until(select(Subscription.muted_until), lambda rows: rows[0] is not None)


async def test_similar_claims_are_offered_instead_of_duplicates(env: Env) -> None:
    assert "Tracking <b>#1</b>" in await env.ask(USER, f"/track {CLAIM}")
    offer = await env.api.reply_to(502, f"/track {CLAIM.lower()}!")
    assert [t for t, _ in offer.buttons()] == [f"Track #1: {shorten(CLAIM, 40)}", "Create a new claim"]
    await env.press(502, "Track #1")
    await env.until(
        select(Subscription.claim_id).where(Subscription.chat_id == 502), lambda rows: rows == [1]
    )
    await env.api.reply_to(503, f"/track {CLAIM}")
    await env.press(503, "Create a new claim")
    await env.until(select(Claim.id), lambda rows: rows == [1, 2])
    assert "Tracking <b>#2</b>" in env.api.sent[-1].text


@pytest.mark.parametrize("env", [{"max_claims_per_chat": 1}], indirect=True)
async def test_mistakes_limits_and_foreign_ids_are_answered_politely(env: Env) -> None:
    assert "at least 3 characters" in await env.ask(USER, "/track ab")
    assert "Tell me the claim" in await env.ask(USER, "/track")
    assert "Tracking" in await env.ask(USER, f"/track {CLAIM}")
    assert "the most allowed" in await env.ask(USER, "/track Poland joins the coalition against inflation")
    assert "does not track claim #1" in await env.ask(502, "/claim 1")  # someone else's claim
    assert "does not track claim #999" in await env.ask(USER, "/untrack 999")
    assert "Mute for how long" in await env.ask(USER, "/mute 1 soon")
    assert await env.ask(USER, "/stats") == UNKNOWN == await env.ask(USER, "/nonsense")
    assert await env.ask(USER, "/addfeed https://example.com/rss") == UNKNOWN


async def test_addfeed_keeps_to_public_addresses_unless_the_bot_switch_is_on(env: Env) -> None:
    """feeds.allow_private_networks is the operator's switch (CLI, config, OPML files), not the bot's."""
    async with FeedServer() as server:
        url = server.feed("/a", rss(("a1", "First story", "Text.")))
        env.settings.feeds.__dict__["allow_private_networks"] = True
        refused = await env.ask(ADMIN, f"/addfeed {url}")
        assert "can't add that feed" in refused and "not public" in refused
        env.settings.telegram.__dict__["allow_private_feeds"] = True
        assert "Added feed #1" in await env.ask(ADMIN, f"/addfeed {url}")


async def test_claims_mute_unmute_untrack_and_stop(env: Env) -> None:
    await env.ask(USER, f"/track {CLAIM}")
    listing = await env.ask(USER, "/claims")
    assert "#1" in listing and "0 sightings" in listing and "last never" in listing
    assert "muted until" in await env.ask(USER, "/mute 1 2h")
    assert "🔕" in await env.ask(USER, "/claims")
    assert "unmuted" in await env.ask(USER, "/unmute 1")
    assert "No longer tracking #1" in await env.ask(USER, "/untrack 1")
    assert "no claims" in await env.ask(USER, "/claims")
    await env.ask(USER, f"/track {CLAIM}")
    assert "This cannot be undone" in await env.ask(USER, "/stop")
    assert await env.one(select(Chat.id).where(Chat.id == USER)) == [USER]  # nothing deleted before the tap
    await env.press(USER, "Delete everything")
    await env.until(select(Chat).where(Chat.id == USER), lambda rows: rows == [])
    assert await env.one(select(Subscription)) == []


async def test_groups_need_admins_and_topics_get_their_alerts(env: Env) -> None:
    group = -100777
    env.api.admins[group] = {ADMIN}
    refused = await env.ask(group, f"/track@claimbot_test_bot {CLAIM}", user_id=9)
    assert "Only this group's admins" in refused
    before = len(env.api.messages(group))
    env.api.push_text(group, f"/track@some_other_bot {CLAIM}", user_id=ADMIN)
    reply = await env.ask(group, f"/track@claimbot_test_bot {CLAIM}", user_id=ADMIN, thread_id=5)
    assert (
        "Tracking" in reply and len(env.api.messages(group)) == before + 1
    )  # the other bot's command is ignored
    assert env.api.messages(group)[-1].thread_id == 5
    [sub] = await env.until(select(Subscription), lambda rows: len(rows) == 1)  # committed after the reply
    assert (sub.chat_id, sub.topic_id) == (group, 5)


async def test_settings_menu_changes_the_policy(env: Env) -> None:
    await env.ask(USER, f"/track {CLAIM}")
    menu = await env.api.reply_to(USER, "/settings")
    assert "Every sighting" in menu.text and any("Changes only" in t for t, _ in menu.buttons())
    await env.press(USER, "Changes only")
    await env.until(select(Subscription.notify), lambda rows: rows == ["changes"])
    await env.press(USER, "22–07")
    [chat] = await env.until(select(Chat).where(Chat.id == USER), lambda rows: rows[0].settings.get("quiet"))
    assert chat.settings["quiet"] == [22, 7] and chat.settings["notify"] == "changes"
    assert "Europe/Berlin" in await env.ask(USER, "/settings tz Europe/Berlin")
    assert "don't know the time zone" in await env.ask(USER, "/settings tz Mars/Olympus")


async def test_a_groups_buttons_answer_only_its_admins(env: Env) -> None:
    group = -100555
    env.api.admins[group] = {ADMIN}
    menu = await env.api.reply_to(group, "/settings", user_id=ADMIN)
    assert any("Changes only" in t for t, _ in menu.buttons())
    await env.press(group, "Changes only", user_id=USER)  # a member, not an admin
    [refusal] = env.api.calls_to("answerCallbackQuery")
    assert refusal.params.get("text") == "Only this group's admins can change what it tracks or its settings."
    assert [c for c in env.api.calls if c.method.startswith("editMessage")] == []
    await env.press(group, "Changes only", user_id=ADMIN)
    assert env.api.calls_to("answerCallbackQuery")[-1].params.get("text") == "Saved."
    [chat] = await env.until(select(Chat).where(Chat.id == group), lambda rows: rows and rows[0].settings)
    assert chat.settings["notify"] == "changes"


@pytest.mark.parametrize("env", [{"flood_limit": 3}], indirect=True)
async def test_flood_control_answers_once_then_ignores(env: Env) -> None:
    for _ in range(6):
        env.api.push_text(USER, "/help")
    await env.api.wait_for(lambda: len(env.api.messages(USER)) >= 4)
    await env.ask(USER + 1, "/help")  # a later update, answered: the ignored ones were handled before it
    texts = [s.text for s in env.api.messages(USER)]
    assert len(texts) == 4 and "too fast" in texts[-1]


async def test_admin_feeds_import_export_and_stats(env: Env) -> None:
    async with FeedServer() as server:
        url = server.feed("/a", rss(("a1", "First story", "Text.")))
        env.settings.feeds.__dict__["allow_private_networks"] = True
        env.settings.telegram.__dict__["allow_private_feeds"] = True  # the bot's own switch
        assert "Added feed #1" in await env.ask(ADMIN, f"/addfeed {url}")
        assert "already there" in await env.ask(ADMIN, f"/addfeed {url}")
        opml = (
            f'<?xml version="1.0"?><opml version="2.0"><body><outline type="rss" text="B" '
            f'xmlUrl="{server.url("/b")}"/></body></opml>'
        ).encode()
        before = len(env.api.messages(ADMIN))
        env.api.push_document(ADMIN, "feeds.opml", opml, "/import")
        assert "Imported 1 feed" in (await env.api.wait_message(ADMIN, after=before)).text
    assert env.api.calls_to("getFile")
    feeds = await env.ask(USER, "/feeds")
    assert "#1" in feeds and "#2" in feeds and "not polled yet" in feeds
    env.api.push_text(ADMIN, "/export")
    await env.api.wait_for(lambda: env.api.documents)
    assert env.api.documents[0][1] == "claimbot-feeds.opml" and b"/b" in env.api.documents[0][2]
    stats = await env.ask(ADMIN, "/stats")
    assert "Feeds: 0 ok, 0 failing, 0 deactivated" not in stats and "Outbox: 0 pending" in stats
    assert "Removed feed #2" in await env.ask(ADMIN, "/removefeed 2")


async def test_a_second_poller_409_is_logged_plainly(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="bot.telegram.polling")
    env.api.conflict = True
    await env.api.wait_for(lambda: "another process is polling this token" in caplog.text)


async def test_blocked_user_alerts_deactivate_the_chat_and_start_revives_it(env: Env) -> None:
    from testkit.botapi import seed_alert

    await env.ask(USER, "/start")
    async with env.db.sessionmaker.begin() as session:
        await seed_alert(session, [(USER, 0)])
    env.api.block(USER)
    transport = TelegramTransport.from_settings(env.settings)
    try:
        result = await Sender(env.db.sessionmaker, transport, env.settings.delivery).drain()
    finally:
        await transport.close()
    assert result.chats_gone == 1
    assert (await env.one(select(Chat.active).where(Chat.id == USER))) == [False]
    env.api._blocked.clear()
    await env.ask(USER, "/start")
    await env.until(select(Chat.active).where(Chat.id == USER), lambda rows: rows == [True])


async def test_import_of_bad_opml_and_huge_ids_get_a_clear_answer(env: Env) -> None:
    for data in (b'<opml><body><outline xmlUrl="http://x', b'<!DOCTYPE o [<!ENTITY a "b">]><opml>&a;</opml>'):
        before = len(env.api.messages(ADMIN))
        env.api.push_document(ADMIN, "feeds.opml", data, "/import")
        answer = (await env.api.wait_message(ADMIN, after=before)).text
        assert "I can't import that file" in answer and "Something went wrong" not in answer
    assert "no such feed" in await env.ask(ADMIN, "/removefeed 99999999999999999999")
