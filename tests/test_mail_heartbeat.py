"""The mail worker's heartbeat file, written by every lane's thread of one worker."""

from __future__ import annotations

import logging
import threading

from blogapp.mail import heartbeat

LANES = ("mail", "fediverse", "telegram", "newsletter")


def test_lanes_beating_at_once_lose_no_lane_and_warn_of_nothing(app, ctx, caplog):
    """Each lane's thread reads the file, adds its own time and writes it back: two at
    once must neither lose the other's lane nor trip over each other's temporary file."""
    start = threading.Barrier(len(LANES))

    def lane_passes(lane: str) -> None:
        with app.app_context():
            start.wait()
            for _ in range(150):
                heartbeat.beat(lane)

    threads = [threading.Thread(target=lane_passes, args=(lane,)) for lane in LANES]
    with caplog.at_level(logging.WARNING):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [r.getMessage() for r in caplog.records if "heartbeat" in r.getMessage()] == []
    assert sorted(heartbeat.last_beats(app)) == sorted(LANES)
