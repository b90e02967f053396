"""Tracking an article in the unmodified bot over HTTP against the Bot API double: /track <link>, a
forwarded channel post, a pasted story, short text's offer, and one clear line for each bad input."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Claim, Subscription
from tests.conftest import Db
from tests.feedserver import FeedServer
from tests.test_telegram_bot import Env, running_bot

USER, OTHER = 501, 502
TITLE = "US service members killed in Afghanistan helicopter crash"
PAGE = gzip.decompress((Path(__file__).parent / "articles" / "aljazeera-helicopter.html.gz").read_bytes())
STORY = (
    "Health minister Rosa Diaz opened the new hospital in Leeds on Monday. She said the government would "
    "spend £40m on 300 extra beds by 2027. Opposition spokesman Tom Hale said: ‘The money was promised in "
    "2019 and never arrived. Waiting lists have grown by 12 per cent since then.’ The hospital will employ "
    "1,200 staff when it opens fully next spring, the trust said."
)


@pytest.fixture
async def env(db: Db, request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    feeds = getattr(request, "param", {})
    # the bot's own private-address switch follows the operator's here (articles are served locally)
    telegram = {"admins": [42], "allow_private_feeds": feeds.get("allow_private_networks", True)}
    async with running_bot(db, telegram, feeds=feeds) as env:
        yield env


async def edited(env: Env, chat: int, label: str) -> str:
    """Press ``label`` (on a message as last sent or edited) and return the text of the message it edited."""
    sent = next(
        s
        for s in reversed(env.api.sent)
        if s.chat_id == chat and any(t.startswith(label) for t, _ in s.buttons())
    )
    before = len(env.api.calls_to("editMessageText"))
    answered = len(env.api.calls_to("answerCallbackQuery"))
    env.api.push_button(sent, next(d for t, d in sent.buttons() if t.startswith(label)))
    await env.api.wait_for(lambda: len(env.api.calls_to("answerCallbackQuery")) > answered)
    await env.api.wait_for(lambda: len(env.api.calls_to("editMessageText")) > before)
    return str(env.api.calls_to("editMessageText")[-1].params["text"])


async def test_track_a_link_tick_two_confirm_and_claim_shows_the_article(env: Env) -> None:
    async with FeedServer() as server:
        url = server.feed("/news/helicopter", PAGE, content_type="text/html")
        offer = await env.api.reply_to(USER, f"/track {url}")
    assert offer.text.startswith(f'Claims worth tracking in <a href="{url}">{TITLE}</a>:')
    labels = [t for t, _ in offer.buttons()]
    assert labels[0] == "☐ 1" and labels[-2:] == ["Track 0 chosen", "Cancel"] and len(labels) <= 12
    assert "☑ <b>1.</b>" in await edited(env, USER, "☐ 1")
    await edited(env, USER, "☐ 2")
    done = await edited(env, USER, "Track 2 chosen")
    assert done.startswith("Tracking 2 claim(s) from this article:\n<b>#1</b>")
    rows = await env.until(select(Claim), lambda rows: len(rows) == 2)
    assert {(c.article_link, c.article_title, c.article_date) for c in rows} == {(url, TITLE, "2019-11-20")}
    shown = await env.ask(USER, "/claim 1")
    assert f'From the article <a href="{url}">{TITLE}</a> (2019-11-20)' in shown


async def test_a_chosen_claim_like_a_tracked_one_gets_the_track_offer(env: Env) -> None:
    async with FeedServer() as server:
        url = server.feed("/news/helicopter", PAGE, content_type="text/html")
        await env.api.reply_to(USER, f"/track {url}")
        await edited(env, USER, "☐ 1")
        await edited(env, USER, "Track 1 chosen")
        await env.api.reply_to(OTHER, f"/track {url}")
    await edited(env, OTHER, "☐ 1")
    before = len(env.api.messages(OTHER))
    summary = await edited(env, OTHER, "Track 1 chosen")
    assert summary == "1 chosen claim(s) are like claims tracked already: see below."
    offer = await env.api.wait_message(OTHER, after=before)
    assert offer.text.endswith("Similar claims are tracked already. Follow one of them, or create yours?")
    assert [t for t, _ in offer.buttons()][-1] == "Create a new claim"
    assert (await edited(env, OTHER, "Track #1")).startswith("Tracking <b>#1</b>")
    await env.until(select(Subscription.claim_id).where(Subscription.chat_id == OTHER), lambda r: r == [1])
    assert len(await env.one(select(Claim.id))) == 1


async def test_a_forwarded_channel_post_with_a_link_is_an_article(env: Env) -> None:
    async with FeedServer() as server:
        url = server.feed("/news/helicopter", PAGE, content_type="text/html")
        message: dict[str, Any] = env.api.message(USER, "Breaking: helicopter crash")
        message["entities"] = [{"type": "text_link", "offset": 0, "length": 8, "url": url}]
        message["forward_origin"] = {
            "type": "channel",
            "chat": {"id": -1001, "type": "channel", "title": "News"},
            "message_id": 7,
            "date": message["date"],
        }
        before = len(env.api.messages(USER))
        env.api.push({"message": message})
        reply = await env.api.wait_message(USER, after=before)
    assert reply.text.startswith(f'Claims worth tracking in <a href="{url}">{TITLE}</a>:')


async def test_a_pasted_story_is_an_article_and_short_text_gets_an_offer(env: Env) -> None:
    reply = await env.ask(USER, STORY)
    assert reply.startswith("Claims worth tracking in your text:\n☐ <b>1.</b>")
    assert "Rosa Diaz said the government would spend £40m on 300 extra beds by 2027." in reply
    assert "Tom Hale said: Waiting lists have grown by 12 per cent since then.’" in reply
    await edited(env, USER, "☐ 1")
    await edited(env, USER, "Track 1 chosen")
    offer = await env.api.reply_to(USER, "the hospital will employ 1,200 staff")
    assert "Track this as a claim, or look it up among the tracked claims?" in offer.text
    found = await edited(env, USER, "Look it up")
    assert found.startswith("Tracked claims like it:\n<b>#1</b>")
    await env.api.reply_to(USER, "Waiting lists in Leeds grew by 12 per cent")
    assert (await edited(env, USER, "Track it as a claim")).startswith("Tracking <b>#2</b>")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "/track http://127.0.0.1:{port}/missing",
            "That page does not exist (HTTP 404/410): check the link.",
        ),
        ("http://127.0.0.1:{port}/", "That is a homepage, not an article: send the link of one article."),
        ("Well, well, well, how are you all doing today? " * 8, "I found no checkable sentence in that text"),
        ("Президент подписал закон о бюджете. " * 12, "That article is written in Cyrillic script"),
    ],
)
async def test_bad_input_gets_one_clear_line(env: Env, text: str, line: str) -> None:
    async with FeedServer() as server:
        server.respond("/missing", 404)
        server.feed("/", b"<html><body><a href='/a'>World</a></body></html>", content_type="text/html")
        reply = await env.ask(USER, text.format(port=server.port))
    assert reply.startswith(line) and "\n" not in reply


@pytest.mark.parametrize("env", [{"allow_private_networks": False}], indirect=True)
async def test_a_private_address_gets_one_clear_line(env: Env) -> None:
    reply = await env.ask(USER, "/track http://10.0.0.7/story")
    assert reply == "I can't fetch http://10.0.0.7/story: it points to a private or local address."
