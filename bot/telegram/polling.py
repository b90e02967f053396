"""Running the bot: the Dispatcher with its dependencies, then long polling (default) or a webhook."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.pipeline.claimset import ClaimSet
from bot.settings import Settings
from bot.telegram import (
    admin,
    articles,
    claims,
    errors,
    feedback,
    feeds,
    settings_menu,
    start,
    subscriptions,
    track,
)
from bot.telegram.middlewares import ChatOrder, DbSession, FloodControl
from bot.telegram.start import COMMANDS
from bot.telegram.transport import make_bot

logger = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"


def build_dispatcher(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Dispatcher:
    """Routers, middlewares and the dependencies handlers receive by name."""
    dp = Dispatcher(settings=settings, sessionmaker=sessionmaker, claims=ClaimSet(settings.matching))
    dp.update.outer_middleware(ChatOrder())
    dp.update.outer_middleware(FloodControl(settings.telegram.flood_limit, settings.telegram.flood_period))
    dp.update.outer_middleware(DbSession(sessionmaker))
    dp.include_routers(
        start.make_router(),
        track.make_router(),
        claims.make_router(),
        subscriptions.make_router(),
        settings_menu.make_router(),
        feedback.make_router(),
        feeds.make_router(),
        admin.make_router(),
        articles.make_router(),  # after the commands: it answers plain text
        errors.make_router(),  # last: its fallback answers unknown commands
    )
    return dp


class ConflictNotice(BaseRequestMiddleware):
    """Says plainly what a 409 from getUpdates means (aiogram retries with backoff on its own)."""

    def __init__(self, every: float = 60.0) -> None:
        self.every, self._last = every, float("-inf")

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        try:
            return await make_request(bot, method)
        except TelegramConflictError:
            if isinstance(method, GetUpdates) and time.monotonic() - self._last >= self.every:
                self._last = time.monotonic()
                logger.error(
                    "getUpdates answered 409 Conflict: another process is polling this token "
                    "(or a webhook is set); stop the other bot process — run one claimbot with role all/bot"
                )
            raise


async def run_polling(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Serve updates until cancelled; the bot session is closed on the way out."""
    bot = make_bot(settings)
    bot.session.middleware(ConflictNotice())
    dp = build_dispatcher(settings, sessionmaker)
    try:
        await bot.set_my_commands(COMMANDS)
        if settings.telegram.mode == "webhook":
            await _serve_webhook(bot, dp, settings)
            return
        await bot.delete_webhook(drop_pending_updates=False)
        logger.info("telegram: long polling %s", settings.telegram.api_base)
        await dp.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=settings.telegram.polling_timeout,
            allowed_updates=dp.resolve_used_update_types(),
        )
    finally:
        await _finish_updates(dp)
        await bot.session.close()


async def _finish_updates(dp: Dispatcher, grace: float = 5.0) -> None:
    """Let the updates in flight finish before the session closes.

    Polling stops at once, but each update runs in a task of its own whose reply goes out after its
    commit; one that replied after ``session.close()`` would open a new HTTP session that nobody closes.
    """
    tasks = set(getattr(dp, "_handle_update_tasks", ()))  # aiogram keeps them to this end
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def _serve_webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    """Telegram posts updates to ``webhook_url``; each must carry ``webhook_secret`` in its header."""
    tg = settings.telegram
    secret = tg.webhook_secret.get_secret_value()
    if not tg.webhook_url or not secret:
        raise ValueError("telegram.mode = webhook needs telegram.webhook_url and telegram.webhook_secret")
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path=WEBHOOK_PATH)
    setup_application(app, dp, bot=bot)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, tg.webhook_host, tg.webhook_port).start()
        await bot.set_webhook(
            tg.webhook_url, secret_token=secret, allowed_updates=dp.resolve_used_update_types()
        )
        logger.info("telegram: webhook on %s:%d%s", tg.webhook_host, tg.webhook_port, WEBHOOK_PATH)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
