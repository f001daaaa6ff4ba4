"""Time-ordered identifiers (UUIDv7, RFC 9562): event ids, and the ledger's and the notifier's
row ids. One generator for all of them.

`uuid_utils` (Rust) makes one in ~0.85 µs, from a seeded generator and a counter that keeps ids
of one millisecond in order. The `uuid6` package took 2.3–8 µs: it asked the OS for random bits
on every call (a system call, slow on this VM), which was 14 % of the watcher's firing time
(py-spy, `python -m bench deadline_watcher`), and it moved its timestamp one millisecond ahead
for every id made within the same millisecond, so that at 10,000 ids a second the timestamps
ran seconds into the future.
"""

from __future__ import annotations

from uuid import UUID

from uuid_utils.compat import uuid7 as _uuid7


def uuid7() -> UUID:
    """A new UUIDv7, as the standard library's `uuid.UUID`."""
    return _uuid7()
