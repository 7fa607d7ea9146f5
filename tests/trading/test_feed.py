"""The tick publisher (trading/feed.py): one serialisation per frame, bounded outboxes."""
from __future__ import annotations

import asyncio
import json

from trading import feed


class Recorder:
    def __init__(self, delay: float = 0.0, stalled: bool = False):
        self.frames: list[str] = []
        self.delay, self.stalled = delay, stalled

    async def send(self, frame: str) -> None:
        if self.stalled:
            await asyncio.Event().wait()  # never returns: a client that stopped reading
        if self.delay:
            await asyncio.sleep(self.delay)
        self.frames.append(frame)


async def test_each_frame_is_built_once_and_shared_by_every_subscriber():
    hub = feed.FeedHub(autostart=False)
    recorders = [Recorder() for _ in range(5)]
    outboxes = [feed.Outbox(r.send, 100) for r in recorders]
    for outbox in outboxes:
        outbox.start()
        hub.subscribe(outbox, "SBIN", "NSE", 2, 5)
    hub.publish_once(1_700_000_000_000)
    await asyncio.sleep(0.01)
    assert hub.frames_built == 1 and hub.frames_delivered == 5
    assert len({id(r.frames[0]) for r in recorders}) == 1  # the very same string object
    frame = json.loads(recorders[0].frames[0])
    assert frame["type"] == "market_data" and frame["mode"] == 2 and frame["data"]["timestamp"] == 1_700_000_000_000
    for outbox in outboxes:
        await outbox.close()


async def test_depth_frames_are_built_per_requested_level_count():
    hub = feed.FeedHub(autostart=False)
    shallow, deep = Recorder(), Recorder()
    a, b = feed.Outbox(shallow.send, 10), feed.Outbox(deep.send, 10)
    for outbox in (a, b):
        outbox.start()
    hub.subscribe(a, "TCS", "NSE", 3, 5)
    hub.subscribe(b, "TCS", "NSE", 3, 50)
    hub.publish_once(1_700_000_000_000)
    await asyncio.sleep(0.01)
    assert hub.frames_built == 2
    assert len(json.loads(shallow.frames[0])["data"]["depth"]["buy"]) == 5
    assert len(json.loads(deep.frames[0])["data"]["depth"]["sell"]) == 50
    await a.close(), await b.close()


async def test_a_stalled_client_drops_its_own_oldest_frames_and_delays_nobody():
    hub = feed.FeedHub(autostart=False)
    stalled, healthy = Recorder(stalled=True), Recorder()
    slow_box, fast_box = feed.Outbox(stalled.send, 3), feed.Outbox(healthy.send, 3)
    for outbox in (slow_box, fast_box):
        outbox.start()
        hub.subscribe(outbox, "INFY", "NSE", 1, 0)
    for i in range(10):
        hub.publish_once(1_700_000_000_000 + i)
        await asyncio.sleep(0.005)
    assert len(healthy.frames) == 10
    assert slow_box.dropped >= 6 and len(slow_box) <= 3
    # What the stalled client still has queued are the newest ticks.
    queued = [json.loads(f)["data"]["timestamp"] for f in slow_box._frames]
    assert queued == sorted(queued) and queued[-1] == 1_700_000_000_009
    await slow_box.close(), await fast_box.close()


async def test_the_publisher_task_stops_when_nobody_is_subscribed(settings):
    settings.FEED_TICKS_PER_SECOND = 50
    hub = feed.FeedHub()
    recorder = Recorder()
    outbox = feed.Outbox(recorder.send, 10)
    outbox.start()
    hub.subscribe(outbox, "SBIN", "NSE", 1, 0)
    await asyncio.sleep(0.2)
    assert 3 <= len(recorder.frames) <= 20
    hub.unsubscribe_all(outbox)
    await asyncio.sleep(0.1)
    assert hub._task is None
    count = len(recorder.frames)
    await asyncio.sleep(0.1)
    assert len(recorder.frames) == count
    await outbox.close()


def test_ticks_are_the_same_in_every_process():
    # Two frames for the same instant are identical: processes need not share ticks.
    first = feed.market_data_frame("RELIANCE", "NSE", 2, 0, 1_700_000_123_000)
    second = feed.market_data_frame("RELIANCE", "NSE", 2, 0, 1_700_000_123_000)
    assert first == second


async def test_the_per_connection_index_follows_every_subscribe_and_unsubscribe():
    hub = feed.FeedHub(autostart=False)
    a, b = feed.Outbox(Recorder().send, 10), feed.Outbox(Recorder().send, 10)
    for i in range(50):
        hub.subscribe(a, f"S{i}", "NSE", 1, 0)
    hub.subscribe(a, "S0", "NSE", 2, 0)  # another mode of a pair already held: still one pair
    hub.subscribe(b, "S0", "NSE", 1, 0)
    assert hub.pair_count(a) == 50 and hub.pair_count(b) == 1
    assert hub.unsubscribe(a, "S0", "NSE", 1) and hub.is_subscribed(a, "S0", "NSE")  # mode 2 remains
    assert hub.unsubscribe(a, "S0", "NSE", 2) and not hub.is_subscribed(a, "S0", "NSE")
    assert sorted(hub.unsubscribe_all(a)) == sorted((f"S{i}", "NSE") for i in range(1, 50))
    assert hub.pair_count(a) == 0 and hub.is_subscribed(b, "S0", "NSE")
    hub.unsubscribe_all(b)
    assert hub._interest == {} and hub._pairs_by_outbox == {}  # nothing left behind by disconnects
