"""The web view's Starlette app: the page, its panels, a page of events, and one live stream.

Read-only: every route is a GET that reads the folder (through :class:`FolderView`) and the
events file (through :mod:`eventlog`). The stream (server-sent events) sends new event lines
as they are appended and a ``change`` whenever the queue, a plan, a subtask file, an
escalation or the daemon's lock changes; the page then fetches the panels again.

Bound to a loopback address, the app answers only requests addressed to a loopback name (so
another site cannot reach it through DNS rebinding); bound elsewhere it needs the token on
every request, streams included (``?token=`` once, then a cookie).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestrator.clock import Clock, SystemClock
from orchestrator.store import Store
from orchestrator.web import digest, eventlog, pages
from orchestrator.web.folder import Fingerprint, FolderView, Picture

COOKIE = "orchestrator_token"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
MAX_STREAM_ROWS = 500
"""A burst of more lines than this sends only the newest (the page keeps a window, not the file)."""
PARTS = ("attention", "queue", "orchestrations", "detail", "events")


class Watch:
    """One reading of the folder shared by every request: re-read only when its fingerprint changed,
    and the fingerprint taken at most once per ``interval`` however many pages are open."""

    def __init__(self, folder: FolderView, interval: float) -> None:
        self.folder = folder
        self.interval = interval
        self._lock = threading.Lock()
        self._taken = -1e9
        self._fingerprint: Fingerprint = ()
        self._picture: tuple[Fingerprint, Picture] | None = None

    def fingerprint(self) -> Fingerprint:
        with self._lock:
            if time.monotonic() - self._taken >= self.interval:
                self._fingerprint, self._taken = self.folder.fingerprint(), time.monotonic()
            return self._fingerprint

    def picture(self) -> Picture:
        with self._lock:
            fingerprint = self.folder.fingerprint()
            self._fingerprint, self._taken = fingerprint, time.monotonic()
            if self._picture is None or self._picture[0] != fingerprint:
                self._picture = fingerprint, self.folder.picture()
            return self._picture[1]


def render(picture: Picture, view: pages.View, now: datetime, folder: str, events_path: Path,
           names: tuple[str, ...] = PARTS) -> dict[str, str]:
    """The panels ``names`` for what the person chose to look at."""
    parts: dict[str, str] = {}
    items = digest.attention(picture, now)
    if "attention" in names:
        parts["attention"] = pages.attention_part(items, picture.daemon_running, folder, view)
    if "queue" in names:
        shown, total = digest.queue_page(picture.tasks, view.group, view.qpage, pages.QUEUE_PAGE)
        note = picture.queue_problem or ("no queue yet: task-queue.json does not exist (orchestrator submit "
                                         "creates it)" if picture.queue_missing else None)
        parts["queue"] = pages.queue_part(digest.queue_counts(picture.tasks), shown, total, view, note)
    ordered = digest.ordered(picture.plans)
    if "orchestrations" in names:
        size = pages.ORCH_PAGE
        shown_plans = ordered[view.opage * size:(view.opage + 1) * size]
        live = sum(p.status in digest.LIVE_ORDER for p in ordered)
        rows = [digest.row(p, now, picture.lock_waits) for p in shown_plans]
        parts["orchestrations"] = pages.orchestrations_part(rows, len(ordered), live, view)
    if "detail" in names:
        plan = picture.plan(view.orch) if view.orch else (ordered[0] if ordered else None)
        parts["detail"] = pages.detail_part(
            plan, digest.row(plan, now, picture.lock_waits) if plan else None, digest.nodes(plan, picture, now) if plan else [],
            [i for i in items if plan and i.orchestration_id == plan.orchestration_id], folder)
    if "events" in names:
        found = eventlog.page(events_path, eventlog.Filter(view.types, view.eorch), pages.EVENT_PAGE)
        known = [p.orchestration_id for p in ordered if p.status in digest.LIVE_ORDER][:200]
        parts["events"] = pages.events_part(found.events, found.older, found.end, view, known)
    return parts


def _sse(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(store: Store, *, token: str | None = None, loopback_only: bool = True, poll_seconds: float = 0.25,
               heartbeat_timeout_seconds: float = 180.0, clock: Clock | None = None,
               folder_view: FolderView | None = None, stopping: threading.Event | None = None) -> Starlette:
    """``stopping``, once set, ends the open streams (a server stopping waits for its connections)."""
    clock = clock or SystemClock()
    stopping = stopping or threading.Event()
    layout = store.layout
    folder = str(layout.root.resolve())
    watch = Watch(folder_view or FolderView(store, heartbeat_timeout_seconds=heartbeat_timeout_seconds), poll_seconds)

    def view_of(request: Request) -> pages.View:
        return pages.View.from_query(dict(request.query_params))

    def index(request: Request) -> Response:
        view = view_of(request)
        parts = render(watch.picture(), view, clock.now(), folder, layout.events)
        return HTMLResponse(pages.page(folder, parts))

    def part(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in PARTS:
            return PlainTextResponse(f"no panel {name!r}; panels: {', '.join(PARTS)}", status_code=404)
        return HTMLResponse(render(watch.picture(), view_of(request), clock.now(), folder, layout.events, (name,))[name])

    def event_page(request: Request) -> Response:
        view = view_of(request)
        try:
            before = int(request.query_params["before"]) if "before" in request.query_params else None
            limit = min(500, max(1, int(request.query_params.get("limit", pages.EVENT_PAGE))))
        except ValueError:
            return PlainTextResponse("before and limit are byte offsets and counts", status_code=400)
        found = eventlog.page(layout.events, eventlog.Filter(view.types, view.eorch), limit, before)
        return JSONResponse({"rows": [pages.event_row(e) for e in reversed(found.events)], "older": found.older,
                             "end": found.end})

    async def stream(request: Request) -> Response:
        view = view_of(request)
        wanted = eventlog.Filter(view.types, view.eorch)
        try:
            after = int(request.query_params["after"]) if "after" in request.query_params else None
        except ValueError:
            after = None
        tail = eventlog.Tail(layout.events, eventlog.size(layout.events) if after is None else after)

        async def lines() -> AsyncIterator[str]:
            yield "retry: 1000\n\n"
            last = await run_in_threadpool(watch.fingerprint)
            quiet = 0.0
            while not stopping.is_set() and not await request.is_disconnected():
                found, rotated = await run_in_threadpool(tail.read)
                rows = [pages.event_row(e) for e in found if wanted(e)]
                if rows or rotated:
                    yield _sse("events", {"rows": rows[-MAX_STREAM_ROWS:][::-1], "skipped": max(0, len(rows) - MAX_STREAM_ROWS),
                                          "rotated": rotated, "end": tail.position})
                    quiet = 0.0
                fingerprint = await run_in_threadpool(watch.fingerprint)
                if fingerprint != last:
                    last = fingerprint
                    yield _sse("change", {})
                    quiet = 0.0
                if quiet >= 15:
                    yield ": still here\n\n"  # keeps proxies from closing a quiet stream
                    quiet = 0.0
                await asyncio.sleep(poll_seconds)
                quiet += poll_seconds

        return StreamingResponse(lines(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    app = Starlette(routes=[
        Route("/", index), Route("/part/{name}", part), Route("/api/events", event_page), Route("/stream", stream),
        Mount("/static", StaticFiles(packages=[("orchestrator.web", "static")]), name="static"),
    ])
    app.add_middleware(Gate, token=token, loopback_only=loopback_only)
    return app


class Gate:
    """Every request, streams included: a loopback Host when bound to loopback, else the token."""

    def __init__(self, app: ASGIApp, token: str | None, loopback_only: bool) -> None:
        self.app = app
        self.token = token
        self.loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self.loopback_only and _host_name(request) not in LOOPBACK_NAMES:
            await PlainTextResponse("this view answers only on a loopback address", status_code=403)(scope, receive, send)
            return
        if self.token is None:
            await self.app(scope, receive, send)
            return
        header = request.headers.get("authorization", "")
        given = request.query_params.get("token")
        offered = given or (header[7:] if header.lower().startswith("bearer ") else None) or request.cookies.get(COOKIE)
        if not offered or not secrets.compare_digest(offered.encode(), self.token.encode()):
            await PlainTextResponse("a token is required: open the address `orchestrator web` printed "
                                    "(it ends in ?token=...)", status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, _with_cookie(send, self.token) if given else send)


def _host_name(request: Request) -> str | None:
    """The name in the Host header as sent, without its port: a header a URL parser reads another
    way ("127.0.0.1@attacker.example" was taken for 127.0.0.1) is compared whole, and refused."""
    host = request.headers.get("host")
    if host is None:
        return request.url.hostname  # no Host header (HTTP/1.0): the address the server was reached at
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() and not name.endswith(":") else host


def _with_cookie(send: Send, token: str) -> Callable[[Message], Awaitable[None]]:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict".encode("latin-1")
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
        await send(message)

    return sending


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
