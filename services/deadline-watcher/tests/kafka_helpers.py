"""Reading the session's shared topics in the background, filtered by the tests' own ids."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from duban_common.testing.polling import eventually


class TopicReader:
    """Collects every record of a topic from the beginning, until stopped.

    No consumer group (partitions assigned directly), so it starts without a group join.
    """

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.records: list[Any] = []
        self.topic = topic
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> TopicReader:
        await self._consumer.start()
        partitions = self._consumer.partitions_for_topic(self.topic)
        if not partitions:
            await self._consumer.force_metadata_update()  # type: ignore[no-untyped-call]
            partitions = self._consumer.partitions_for_topic(self.topic) or set()
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_beginning(*assigned)
        self._task = asyncio.create_task(self._loop())
        return self

    async def _loop(self) -> None:
        while True:
            for batch in (await self._consumer.getmany(timeout_ms=200)).values():
                self.records.extend(batch)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def wait_for(
        self, want: Callable[[Any], bool], n: int = 1, timeout: float = 30
    ) -> list[Any]:
        def found() -> list[Any]:
            matching = [r for r in self.records if want(r)]
            return matching if len(matching) >= n else []

        return await eventually(found, timeout, f"{n} matching records")
