"""A real conversation with the unmodified bot over HTTP (the Bot API double): nothing said before it is
true, repeated taps are no errors, every button is answered, a failing getChatMember is explained."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from bot.alerts.send import Sender
from bot.telegram.transport import TelegramTransport
from storage.models import Subscription
from tests.botapi import seed_alert
from tests.test_telegram_bot import CLAIM, USER, Env
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
