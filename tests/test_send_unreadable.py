"""Answers to sendMessage that cannot be read: an attempt each, a message resent once at most."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.alerts.send import Sender
from bot.telegram.transport import TelegramTransport
from storage.models import Delivery
from testkit.botapi import TOKEN, BotAPI, seed_alert
from tests.conftest import Db, make_settings


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def _deliveries(db: Db) -> list[tuple[str, int]]:
    async with db.sessionmaker() as session:
        rows = (await session.execute(select(Delivery).order_by(Delivery.id))).scalars()
        return [(d.status, d.attempts) for d in rows]


async def test_an_html_page_with_200_is_an_attempt_and_the_alert_is_resent_once_only(db: Db) -> None:
    async with BotAPI() as api:
        settings = make_settings(db.url, telegram={"token": TOKEN, "api_base": api.base})
        api.garble(times=100, how="html")  # a proxy answers every send with its own page
        async with db.sessionmaker.begin() as session:
            await seed_alert(session, [(501, 0)])
        clock = Clock()
        transport = TelegramTransport.from_settings(settings)
        try:
            for _ in range(6):  # drains over a few minutes (a fresh sender: no pause in memory helps)
                await Sender(db.sessionmaker, transport, settings.delivery, clock=clock).drain()
                clock.now += timedelta(minutes=1)
        finally:
            await transport.close()
        assert len(api.messages(501)) == 2  # the first send and one resend, never more
        assert await _deliveries(db) == [("unsure", 2)]


async def test_an_answer_in_an_unknown_shape_means_sent(db: Db) -> None:
    async with BotAPI() as api:
        settings = make_settings(db.url, telegram={"token": TOKEN, "api_base": api.base})
        api.garble(times=1, how="field")
        async with db.sessionmaker.begin() as session:
            await seed_alert(session, [(501, 0)])
        transport = TelegramTransport.from_settings(settings)
        try:
            sender = Sender(db.sessionmaker, transport, settings.delivery)
            result = await sender.drain()
            await sender.drain()
        finally:
            await transport.close()
        [sent] = api.messages(501)
        assert result.sent == 1 and result.outages == 0
        async with db.sessionmaker() as session:
            delivery = (await session.execute(select(Delivery))).scalar_one()
        assert (delivery.status, delivery.message_id) == ("sent", sent.message_id)


async def test_a_502_is_still_an_outage_that_counts_no_attempt(db: Db) -> None:
    async with BotAPI() as api:
        settings = make_settings(db.url, telegram={"token": TOKEN, "api_base": api.base})
        api.fail("sendMessage", 502, "Bad Gateway")
        async with db.sessionmaker.begin() as session:
            await seed_alert(session, [(501, 0)])
        transport = TelegramTransport.from_settings(settings)
        try:
            result = await Sender(db.sessionmaker, transport, settings.delivery).drain()
        finally:
            await transport.close()
        assert result.outages == 1 and await _deliveries(db) == [("pending", 0)]
