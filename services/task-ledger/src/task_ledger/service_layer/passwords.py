"""Passwords: the policy (in the spirit of 等保2.0, switchable in settings) and argon2 hashing
off the event loop with a bounded number of hashes at once."""

from __future__ import annotations

import asyncio
import functools
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from task_ledger.domain.errors import DomainError
from task_ledger.settings import Settings

T = TypeVar("T")
# Longer passwords are refused before argon2 ever sees them (and zxcvbn is quadratic).
MAX_PASSWORD_CHARS = 200
# zxcvbn's score below this: a common or easily guessed password.
MIN_ZXCVBN_SCORE = 3


class PasswordRefused(DomainError):
    """A password that the policy refuses; the message lists every reason, in Chinese."""


class HashingBusy(Exception):
    """Too many logins are waiting for argon2 in this process: try again shortly."""


def _classes(password: str) -> int:
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


def policy_problems(settings: Settings, username: str, password: str) -> list[str]:
    """What is wrong with a new password (empty: acceptable)."""
    if not settings.password_policy:
        return [] if password else ["密码不能为空"]
    problems = []
    if len(password) < settings.password_min_length:
        problems.append(f"长度至少 {settings.password_min_length} 位")
    if len(password) > MAX_PASSWORD_CHARS:
        problems.append(f"长度不超过 {MAX_PASSWORD_CHARS} 位")
    if _classes(password) < settings.password_min_classes:
        problems.append(
            f"须包含大写字母、小写字母、数字、符号中的至少 {settings.password_min_classes} 类"
        )
    name = username.strip().lower()
    if name and name in password.lower():
        problems.append("不能包含用户名")
    # zxcvbn's word lists load with the first password set, not in every process at start.
    from zxcvbn import zxcvbn

    if (
        settings.password_refuse_common
        and len(password) <= MAX_PASSWORD_CHARS
        and zxcvbn(password, user_inputs=[name])["score"] < MIN_ZXCVBN_SCORE
    ):
        problems.append("不能是常见密码或容易猜到的组合")
    return problems


def check_policy(settings: Settings, username: str, password: str) -> None:
    problems = policy_problems(settings, username, password)
    if problems:
        raise PasswordRefused("密码不符合要求：" + "；".join(problems))


def password_hasher(settings: Settings) -> PasswordHasher:
    defaults = PasswordHasher()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost or defaults.time_cost,
        memory_cost=settings.argon2_memory_cost or defaults.memory_cost,
    )


def verify_password(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash(time_cost: int | None, memory_cost: int | None) -> str:
    defaults = PasswordHasher()
    return PasswordHasher(
        time_cost=time_cost or defaults.time_cost, memory_cost=memory_cost or defaults.memory_cost
    ).hash("not-a-password")


class Hashing:
    """argon2 in worker threads, at most `password_hash_concurrency` at once in this process
    (the event loop stays free); a caller that would queue behind `password_hash_queue` others
    gets `HashingBusy` instead of waiting."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hasher = password_hasher(settings)
        self.semaphore = asyncio.Semaphore(settings.password_hash_concurrency)
        self.waiting = 0

    async def _run(self, fn: functools.partial[T]) -> T:
        if self.semaphore.locked() and self.waiting >= self.settings.password_hash_queue:
            raise HashingBusy
        self.waiting += 1
        try:
            await self.semaphore.acquire()
        finally:
            self.waiting -= 1
        try:
            return await asyncio.to_thread(fn)
        finally:
            self.semaphore.release()

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Unknown users are checked against a dummy hash: the answer takes as long either way."""
        ok = await self._run(functools.partial(self._verify, password_hash, password))
        return ok and password_hash is not None

    def _verify(self, password_hash: str | None, password: str) -> bool:
        # In the worker thread: the dummy hash is computed there once, never on the loop.
        s = self.settings
        stored = password_hash or _dummy_hash(s.argon2_time_cost, s.argon2_memory_cost)
        return verify_password(self.hasher, stored, password)

    async def hash(self, password: str) -> str:
        return await self._run(functools.partial(self.hasher.hash, password))
