"""Admission control under overload: at most as many requests work at once as there are worker
threads; the others queue for a bounded time, and are refused with a 503 when their turn is not
coming."""

import asyncio
import time
from collections import deque
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import DROPPED, QUEUED, REFUSED
from app.web.asgi import UNQUEUED_PATHS, send_problem

# A forecast wait this far past the limit is refused without queueing; nearer the limit it
# queues, and the limit itself stops it if its turn does not come. Refusals take CPU from the
# work the queue waits for, so refusing near the limit slows the drain enough to confirm the
# forecast: wrk's clients, which retry at once, once got 38,432 refusals in 39,740 answers
# from a queue that held 2.5 s of work against a limit of 3 s.
_CLEARLY_PAST = 1.5
# A quick refusal still waits this long: a client that asks again at once (wrk does) would
# otherwise keep the event loop refusing, which takes the CPU from the requests in the queue
# (800 connections on the three-facet search, one worker: 139,258 refusals in 15 s, 391
# answers, 169 requests over 5 s)
_REFUSAL_PAUSE_S = 0.5
# the drain pace is a moving average over about this many intervals
_PACE_WINDOW = 64


class AdmissionMiddleware:
    """Let at most ``slots`` requests work at once and queue the others for at most
    ``max_wait_s``: a request whose turn has not come by then gets a 503 with ``Retry-After``,
    sooner (after a short pause) when the queue's pace says its wait would be well past that,
    and a queued request whose client has gone is dropped. Without this, every request past
    the worker threads waited its turn however long the queue, and went on working for clients
    that had given up."""

    def __init__(self, app: ASGIApp, *, slots: int, max_wait_s: float) -> None:
        self.app = app
        self.slots = slots
        self.max_wait_s = max_wait_s
        self.free = slots
        self.queue: deque[asyncio.Future[None]] = deque()
        # moving average (over _PACE_WINDOW requests, so one slow one does not swing it) of the
        # time between two requests leaving while others queue: how fast the queue drains, measured
        # on the queue itself, so contention inside the process cannot inflate it. It belongs to
        # one backlog: once the queue empties, the next backlog (other requests, perhaps much
        # quicker ones) is judged on its own intervals, not on the last one's
        self.drain_s = 0.001
        self.samples = 0  # intervals measured in the current backlog (the last _PACE_WINDOW)
        # slots finish in bursts (threads sharing the GIL): a pace rests on two rounds of them
        self.min_samples = min(2 * slots, _PACE_WINDOW)
        self.last_release = time.monotonic()
        self.backlogged = False  # the last slot freed went to a queued request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNQUEUED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.free > 0 and not self.queue:
            self.free -= 1
        else:
            expected_wait = (len(self.queue) + 1) * self.drain_s
            known = self.samples >= self.min_samples
            if known and expected_wait > self.max_wait_s * _CLEARLY_PAST:
                REFUSED.labels(reason="forecast").inc()
                await asyncio.sleep(min(_REFUSAL_PAUSE_S, self.max_wait_s / 4))
                await self._refuse(scope, send)
                return
            received: list[Message] = []
            QUEUED.inc()
            try:
                outcome = await self._wait_for_slot(receive, received)
            finally:
                QUEUED.dec()
            if outcome == "gone":
                DROPPED.inc()
                return
            if outcome == "timeout":
                REFUSED.labels(reason="timeout").inc()
                await self._refuse(scope, send)
                return
            receive = _replaying(received, receive)
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._release()

        async def send_releasing(message: Message) -> None:
            # the slot guards the work before the answer; a long download keeps no slot
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_releasing)
        finally:
            release()

    async def _wait_for_slot(self, receive: Receive, received: list[Message]) -> str:
        """Queue for a slot while listening for the client leaving; what the client sent
        meanwhile is kept in ``received``. Returns "admitted", "gone" or "timeout"."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue.append(turn)
        deadline = time.monotonic() + self.max_wait_s
        listening = asyncio.ensure_future(receive())
        try:
            while not turn.done():
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    return "timeout"
                pending: set[asyncio.Future[Any]] = {turn, listening}
                await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if listening.done() and not turn.done():
                    message = listening.result()
                    if message["type"] == "http.disconnect":
                        return "gone"
                    received.append(message)
                    listening = asyncio.ensure_future(receive())
            return "admitted"
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._release()  # cancelled just as the slot came: pass it on
            raise
        finally:
            if not listening.done():
                listening.cancel()
            elif not listening.cancelled():
                received.append(listening.result())
            if not turn.done():
                turn.cancel()
                self.queue.remove(turn)

    def _release(self) -> None:
        now = time.monotonic()
        if self.queue and self.backlogged:  # an interval spent wholly with a queue waiting
            self.samples = min(self.samples + 1, _PACE_WINDOW)
            self.drain_s += (now - self.last_release - self.drain_s) / self.samples
        elif not self.queue:
            self.samples = 0  # the backlog is over
        self.last_release, self.backlogged = now, bool(self.queue)
        while self.queue:
            turn = self.queue.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot passes straight to the next in line
                return
        self.free += 1

    async def _refuse(self, scope: Scope, send: Send) -> None:
        retry_after = max(1, round(self.max_wait_s))
        await send_problem(
            send,
            scope,
            503,
            headers={"Retry-After": str(retry_after)},
            slug="overloaded",
            title="Server overloaded",
            detail=f"Too many requests are waiting; retry in {retry_after} s.",
        )


def _replaying(received: list[Message], receive: Receive) -> Receive:
    """A receive that first hands back what was read while the request was queued."""

    async def replay() -> Message:
        return received.pop(0) if received else await receive()

    return replay
