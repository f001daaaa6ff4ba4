"""The broker never outlives whoever started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from duban_common.testing.polling import wait_until

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_fixture_broker_is_gone_after_a_failing_session(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            f"""
            def test_fails(embedded_broker):
                open({str(pid_file)!r}, "w").write(str(embedded_broker.pid))
                assert False, "deliberate failure"
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "duban_common.testing.plugin",
            "-p",
            "no:cacheprovider",
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout
    pid = int(pid_file.read_text())
    wait_until(lambda: not _alive(pid), timeout=10, what="the broker gone after the session")


def test_broker_dies_with_a_killed_launcher(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import time
        from duban_common.embedded_broker import EmbeddedBroker
        b = EmbeddedBroker().start()
        print(b.pid, flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pid = int(proc.stdout.readline())
    assert _alive(pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    wait_until(
        lambda: not _alive(pid), timeout=10, what="the broker gone after kill -9 of its launcher"
    )
