"""A Bot API double on 127.0.0.1: the unmodified bot talks to it over HTTP via ``telegram.api_base``.

It records every call, serves long-polling ``getUpdates`` from a queue the test pushes into, enforces
Telegram-like rate limits itself (real 429 replies with ``retry_after``) and answers with injected errors::

    async with BotAPI() as api:
        settings = make_settings(url, telegram={"token": TOKEN, "api_base": api.base})
        api.push_text(CHAT, "/start")
        reply = await api.wait_message(CHAT)
        api.block(CHAT)            # 403 from now on
        api.migrate(GROUP, NEW_ID) # 400 with migrate_to_chat_id
        api.flood(times=3, retry_after=1)
        api.down(502)              # every method answers 502 until api.up()
        api.fail("getChatMember", 400, "Bad Request: member list is inaccessible")
        api.garble(times=1, how="html")  # the next sendMessage is sent, but its answer is unreadable
        await api.stop(); await api.start()  # connection refused in between; same port after

Edits that change nothing answer "Bad Request: message is not modified", as Telegram does.

Waits are event-driven: :meth:`wait_for` re-checks its condition whenever the double records a call
(and every 50 ms for conditions on other state), so a generous timeout costs nothing when things go well.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token-for-the-double"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Claimbot", "username": "claimbot_test_bot"}
Json = dict[str, Any]


@dataclass
class Call:
    method: str
    params: Json
    at: float


@dataclass
class Sent:
    """A message the bot sent (or edited)."""

    chat_id: int
    message_id: int
    text: str
    thread_id: int | None
    reply_markup: Json | None
    at: float
    method: str = "sendMessage"

    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


class APIError(Exception):
    def __init__(self, status: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass
class Limits:
    """Telegram's limits as the double enforces them (a little slack for timer jitter)."""

    chat_interval: float = 1.0
    chat_burst: int = 3
    """Messages one chat may get back to back before the one-per-interval pace applies."""
    group_per_minute: int = 20
    global_per_second: float = 30.0
    slack: float = 0.05


@dataclass
class BotAPI:
    limits: Limits = field(default_factory=Limits)
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    too_many: int = 0
    """429 replies the double gave because a limit was broken (not injected ones)."""
    conflict: bool = False
    admins: dict[int, set[int]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    documents: list[tuple[int, str, bytes]] = field(default_factory=list)
    photos: list[tuple[int, bytes]] = field(default_factory=list)
    latency: float = 0.0
    outage: int | None = None
    """HTTP status every method answers with (an injected outage), or None."""

    def __post_init__(self) -> None:
        self._updates: deque[Json] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new = asyncio.Event()
        self._blocked: set[int] = set()
        self._missing: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._floods: list[tuple[int | None, float, int]] = []
        self._failing: dict[str, APIError] = {}
        self._garbles: list[str] = []
        self._contents: dict[tuple[int, int], tuple[str, Json | None]] = {}
        self._chat_last: dict[int, tuple[float, float]] = {}
        self._group_times: dict[int, deque[float]] = {}
        self._global_times: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self._activity = asyncio.Event()
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------------------
    async def __aenter__(self) -> BotAPI:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen (again, on the same port after :meth:`stop`)."""
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening: clients get "connection refused" until :meth:`start`."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- what the test injects ----------------------------------------------------------------------
    def push(self, update: Json) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._new.set()
        return update_id

    def message(
        self,
        chat_id: int,
        text: str = "",
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        thread_id: int | None = None,
        document: Json | None = None,
        caption: str | None = None,
    ) -> Json:
        kind = chat_type or ("private" if chat_id > 0 else "supergroup")
        user = user_id if user_id is not None else (chat_id if chat_id > 0 else 777)
        msg: Json = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": kind, **({"title": "A group"} if kind != "private" else {})},
            "from": {"id": user, "is_bot": False, "first_name": f"User{user}"},
        }
        if text:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if caption is not None:
            msg["caption"] = caption
            msg["caption_entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(caption.split()[0])}
            ]
        if document is not None:
            msg["document"] = document
        if thread_id is not None:
            msg.update(message_thread_id=thread_id, is_topic_message=True)
            msg["chat"]["is_forum"] = True
        return msg

    def push_text(self, chat_id: int, text: str, **kwargs: Any) -> int:
        return self.push({"message": self.message(chat_id, text, **kwargs)})

    def push_document(self, chat_id: int, name: str, data: bytes, caption: str, **kwargs: Any) -> int:
        file_id = f"file{len(self.files) + 1}"
        self.files[file_id] = data
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "file_size": len(data),
        }
        return self.push({"message": self.message(chat_id, document=document, caption=caption, **kwargs)})

    def push_button(self, sent: Sent, data: str, *, user_id: int | None = None) -> int:
        user = user_id if user_id is not None else (sent.chat_id if sent.chat_id > 0 else 777)
        kind = "private" if sent.chat_id > 0 else "supergroup"
        message: Json = {
            "message_id": sent.message_id,
            "date": int(sent.at),
            "chat": {"id": sent.chat_id, "type": kind},
            "text": sent.text,
        }
        if sent.thread_id is not None:
            message.update(message_thread_id=sent.thread_id, is_topic_message=True)
        callback = {
            "id": str(next(self._update_ids)),
            "chat_instance": "ci",
            "data": data,
            "message": message,
            "from": {"id": user, "is_bot": False, "first_name": f"User{user}"},
        }
        return self.push({"callback_query": callback})

    def block(self, chat_id: int) -> None:
        self._blocked.add(chat_id)

    def forget(self, chat_id: int) -> None:
        """'chat not found' from now on."""
        self._missing.add(chat_id)

    def migrate(self, chat_id: int, new_id: int) -> None:
        self._migrated[chat_id] = new_id

    def down(self, status: int = 502) -> None:
        """Every method answers ``status`` (a failing Bot API) until :meth:`up`."""
        self.outage = status

    def up(self) -> None:
        self.outage = None

    def flood(self, *, times: int, retry_after: float = 1, chat_id: int | None = None) -> None:
        """The next ``times`` sends (to ``chat_id``, or any) get 429 with ``retry_after``."""
        self._floods.append((chat_id, retry_after, times))

    def fail(self, method: str, status: int = 400, description: str = "Bad Request: not available") -> None:
        """``method`` answers with this error from now on (``fail(method, 0)`` heals it)."""
        if status:
            self._failing[method] = APIError(status, description)
        else:
            self._failing.pop(method, None)

    def garble(self, *, times: int = 1, how: str = "html") -> None:
        """The next ``times`` sendMessage calls are carried out, but their 200 answer cannot be read.

        ``how``: ``html`` (a proxy's page instead of JSON) or ``field`` (JSON with a field in a shape
        the pinned aiogram cannot parse, as a newer Bot API might send).
        """
        self._garbles.extend([how] * times)

    # -- what the test reads --------------------------------------------------------------------------
    def messages(self, chat_id: int | None = None) -> list[Sent]:
        return [
            s for s in self.sent if s.method == "sendMessage" and (chat_id is None or s.chat_id == chat_id)
        ]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, condition: Callable[[], Any], timeout: float = 30.0) -> Any:
        """``condition()`` once it is true, re-checked at each call the double records."""
        deadline = time.monotonic() + timeout
        while True:
            self._activity.clear()  # before the check, so a call in between is not missed
            if value := condition():
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for the bot")
            try:
                await asyncio.wait_for(self._activity.wait(), min(left, 0.05))
            except TimeoutError:
                pass

    async def wait_message(self, chat_id: int, *, after: int = 0, timeout: float = 30.0) -> Sent:
        """The first message to ``chat_id`` after the ``after`` ones already there."""
        found = await self.wait_for(lambda: self.messages(chat_id)[after:], timeout)
        return found[0]  # type: ignore[no-any-return]

    async def reply_to(self, chat_id: int, text: str, **kwargs: Any) -> Sent:
        """Push ``text`` from ``chat_id`` and wait for the bot's next message there."""
        before = len(self.messages(chat_id))
        self.push_text(chat_id, text, **kwargs)
        return await self.wait_message(chat_id, after=before)

    # -- the server -----------------------------------------------------------------------------------
    async def _method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(APIError(401, "Unauthorized"))
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params, time.monotonic()))
        self._activity.set()
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.outage is not None:
            return _error(APIError(self.outage, "Bad Gateway"))
        if method in self._failing:
            return _error(self._failing[method])
        handler = getattr(self, f"_do_{method}", None)
        if handler is None:
            return _error(APIError(404, f"Not Found: method {method} is not in the double"))
        try:
            result = await handler(params)
        except APIError as exc:
            return _error(exc)
        if method == "sendMessage" and self._garbles:
            return _garbled(self._garbles.pop(0), result)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        data = self.files.get(request.match_info["path"].removeprefix("documents/"))
        return web.Response(status=404) if data is None else web.Response(body=data)

    async def _do_getMe(self, params: Json) -> Json:
        return BOT_USER

    async def _do_getUpdates(self, params: Json) -> list[Json]:
        if self.conflict:
            raise APIError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        offset = int(params.get("offset") or 0)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        if not self._updates:
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), timeout=min(float(params.get("timeout") or 0), 1.0))
            except TimeoutError:
                return []
        return list(self._updates)

    async def _do_sendMessage(self, params: Json) -> Json:
        chat_id = int(params["chat_id"])
        self._check_send(chat_id)
        return self._record(chat_id, params, "sendMessage")

    async def _do_editMessageText(self, params: Json) -> Json:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        self._check_modified(chat_id, message_id, str(params.get("text") or ""), params.get("reply_markup"))
        return self._record(chat_id, params, "editMessageText", message_id)

    async def _do_editMessageReplyMarkup(self, params: Json) -> Json:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        text = self._contents.get((chat_id, message_id), ("", None))[0]
        self._check_modified(chat_id, message_id, text, params.get("reply_markup"))
        result = self._record(chat_id, {**params, "text": text}, "editMessageReplyMarkup", message_id)
        return result

    def _check_modified(self, chat_id: int, message_id: int, text: str, markup: Any) -> None:
        markup = json.loads(markup) if isinstance(markup, str) else markup
        if self._contents.get((chat_id, message_id)) == (text, markup or None):
            raise APIError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message",
            )

    async def _do_answerCallbackQuery(self, params: Json) -> bool:
        return True

    async def _do_setMyCommands(self, params: Json) -> bool:
        return True

    async def _do_deleteWebhook(self, params: Json) -> bool:
        return True

    async def _do_setWebhook(self, params: Json) -> bool:
        return True

    async def _do_getChatMember(self, params: Json) -> Json:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = "administrator" if user_id in self.admins.get(chat_id, set()) else "member"
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if status == "administrator":
            return {"status": status, "user": user, **{k: True for k in _ADMIN_RIGHTS}}
        return {"status": status, "user": user}

    async def _do_sendDocument(self, params: Json) -> Json:
        chat_id = int(params["chat_id"])
        self._check_send(chat_id)
        upload = params.get("document")
        if isinstance(upload, str) and upload.startswith("attach://"):
            upload = params.get(upload.removeprefix("attach://"))
        name, data = (upload.filename, upload.file.read()) if isinstance(upload, web.FileField) else ("", b"")
        self.documents.append((chat_id, name, data))
        result = self._record(chat_id, params, "sendDocument")
        result["document"] = {
            "file_id": f"sent{len(self.documents)}",
            "file_unique_id": "x",
            "file_name": name,
        }
        return result

    async def _do_sendPhoto(self, params: Json) -> Json:
        chat_id = int(params["chat_id"])
        self._check_send(chat_id)
        upload = params.get("photo")
        if isinstance(upload, str) and upload.startswith("attach://"):
            upload = params.get(upload.removeprefix("attach://"))
        data = upload.file.read() if isinstance(upload, web.FileField) else b""
        self.photos.append((chat_id, data))
        result = self._record(chat_id, {**params, "text": params.get("caption") or ""}, "sendPhoto")
        size = {"file_unique_id": "p", "width": 800, "height": 300, "file_size": len(data)}
        result["photo"] = [{"file_id": f"photo{len(self.photos)}", **size}]
        return result

    async def _do_getFile(self, params: Json) -> Json:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise APIError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}",
        }

    def _record(self, chat_id: int, params: Json, method: str, message_id: int | None = None) -> Json:
        thread = params.get("message_thread_id")
        markup = params.get("reply_markup")
        sent = Sent(
            chat_id,
            message_id or next(self._message_ids),
            str(params.get("text") or ""),
            int(thread) if thread else None,
            json.loads(markup) if isinstance(markup, str) else markup,
            time.monotonic(),
            method,
        )
        self.sent.append(sent)
        self._contents[(chat_id, sent.message_id)] = (sent.text, sent.reply_markup or None)
        self._activity.set()
        kind = "private" if chat_id > 0 else "supergroup"
        result: Json = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": kind},
        }
        if sent.text:
            result["text"] = sent.text
        if sent.thread_id:
            result.update(message_thread_id=sent.thread_id, is_topic_message=True)
        return result

    def _check_send(self, chat_id: int) -> None:
        """Injected errors first, then the limits, as Telegram answers them."""
        if chat_id in self._blocked:
            raise APIError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self._missing:
            raise APIError(400, "Bad Request: chat not found")
        if chat_id in self._migrated:
            raise APIError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        for i, (target, retry_after, times) in enumerate(self._floods):
            if times > 0 and target in (None, chat_id):
                self._floods[i] = (target, retry_after, times - 1)
                raise APIError(
                    429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
                )
        self._enforce_limits(chat_id)

    def _enforce_limits(self, chat_id: int) -> None:
        now, lim = time.monotonic(), self.limits
        window = self._global_times
        while window and window[0] <= now - 1.0:
            window.popleft()
        broken = len(window) >= lim.global_per_second * (1 + lim.slack)
        tokens, last = self._chat_last.get(chat_id, (float(lim.chat_burst), now))
        tokens = min(float(lim.chat_burst), tokens + (now - last) / lim.chat_interval)
        broken = broken or tokens < 1 - lim.slack
        group = self._group_times.setdefault(chat_id, deque()) if chat_id < 0 else None
        if group is not None:
            while group and group[0] <= now - 60.0:
                group.popleft()
            broken = broken or len(group) >= lim.group_per_minute
        if broken:
            self.too_many += 1
            raise APIError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        window.append(now)
        self._chat_last[chat_id] = (tokens - 1, now)
        if group is not None:
            group.append(now)


_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)


async def _params(request: web.Request) -> Json:
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    form = await request.post()
    return {key: value for key, value in form.items()}


def _garbled(how: str, result: Json) -> web.Response:
    if how == "html":
        page = "<html><body><h1>200 OK</h1><p>Your request was forwarded.</p></body></html>"
        return web.Response(text=page, content_type="text/html")
    # A shape this aiogram does not know: ``chat`` as a list (a field it parses strictly).
    return web.json_response({"ok": True, "result": {**result, "chat": [result["chat"]]}})


def _error(exc: APIError) -> web.Response:
    body: Json = {"ok": False, "error_code": exc.status, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.status)


async def seed_alert(
    session: Any,
    recipients: list[tuple[int, int]],
    *,
    claim_text: str = "Russia moved hundreds of tanks to the border",
    sentence: str = "Officials said 180 tanks <moved> to the border & beyond.",
    kind: str = "changed",
) -> tuple[int, int, int]:
    """A claim, its sighting and event; the recipients' chats, subscriptions and deliveries."""
    from bot.catalog.claims import create_claim
    from storage import chats, outbox
    from storage.sightings import add_sighting

    claim = await create_claim(session, claim_text)
    sighting = await add_sighting(
        session,
        claim_id=claim.id,
        story_id=None,
        score=88.0,
        sentence=sentence,
        kind=kind,
        level="alert",
        changes=["count: hundreds → 180 tanks"] if kind == "changed" else [],
        terms=["tanks", "border"],
        story_title="Tanks <b>at</b> the border",
        story_link="https://news.example/a?x=1&y=2",
    )
    assert sighting is not None
    event = await outbox.add_event(session, "sighting", claim_id=claim.id, sighting_id=sighting.id)
    for chat_id, topic in recipients:
        await chats.ensure_chat(session, chat_id, kind="private" if chat_id > 0 else "supergroup")
        await chats.subscribe(session, chat_id, claim.id, topic_id=topic)
    await outbox.enqueue(session, event.id, recipients)
    return claim.id, sighting.id, event.id
