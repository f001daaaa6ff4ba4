"""Dependencies of the API routes: the ledger, its settings, the bearer-token user and the
role checks. Routes declare them as `Annotated` types (`me: CurrentUser`, `ledger: LedgerDep`)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from duban_contracts.vocabulary import Role
from task_ledger.domain import authz
from task_ledger.domain.errors import NotAllowed
from task_ledger.domain.model import User
from task_ledger.entrypoints.problems import ApiError
from task_ledger.service_layer import queries
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

TOKEN_SALT = "task-ledger-token"
bearer = HTTPBearer(auto_error=False)
# A verified token is trusted for this long before its signature and user are read again:
# a burst of requests costs one check. Changes made through this process apply at once;
# another replica's deactivation of a user applies within this time.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_SIZE = 4096


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


def get_settings(ledger: LedgerDep) -> Settings:
    return ledger.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def token_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=TOKEN_SALT)


def issue_token(settings: Settings, user: User) -> str:
    return token_serializer(settings).dumps({"uid": user.id})


class TokenCache:
    """Bearer token -> its user, for TOKEN_CACHE_SECONDS (bounded; cleared on user changes)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.version = ledger.users_version
        self.entries: dict[str, tuple[float, User]] = {}

    def get(self, token: str) -> User | None:
        if self.version != self.ledger.users_version:
            self.entries.clear()
            self.version = self.ledger.users_version
        found = self.entries.get(token)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, token: str, user: User) -> None:
        if len(self.entries) >= TOKEN_CACHE_SIZE:
            self.entries.clear()
        self.entries[token] = (time.monotonic() + TOKEN_CACHE_SECONDS, user)


async def current_user(
    request: Request,
    ledger: LedgerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    cache: TokenCache = request.app.state.token_cache
    if credentials is None:
        raise ApiError(401, "请先登录")
    user = cache.get(credentials.credentials)
    if user is None:
        user = await _verify_token(ledger, credentials.credentials)
        cache.put(credentials.credentials, user)
    request.state.user = user  # the audit of refusals names the user
    return user


async def _verify_token(ledger: Ledger, token: str) -> User:
    try:
        data = token_serializer(ledger.settings).loads(
            token, max_age=ledger.settings.token_lifetime_seconds
        )
    except SignatureExpired:
        raise ApiError(401, "登录已过期，请重新登录") from None
    except BadSignature:
        raise ApiError(401, "登录凭证无效") from None
    user = await queries.user(ledger, str(data.get("uid")))
    if user is None or not user.active:
        raise ApiError(401, "账号不存在或已停用")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(me: CurrentUser) -> User:
    if me.role != Role.ADMIN or not me.active:
        raise NotAllowed("只有管理员可以管理单位和用户")
    return me


AdminUser = Annotated[User, Depends(admin_user)]


def importer_user(me: CurrentUser) -> User:
    if not authz.is_decider(me):
        raise NotAllowed("只有督查人员可以导入方案")
    return me


ImporterUser = Annotated[User, Depends(importer_user)]

# A monthly report covers every department of a plan, so liaisons never see one.
REPORT_READERS = frozenset({Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN})


def report_reader(me: CurrentUser) -> User:
    if me.role not in REPORT_READERS:
        raise ApiError(403, "只有督查、领导小组和管理员可以查看月度调度报告")
    return me


ReportReader = Annotated[User, Depends(report_reader)]
