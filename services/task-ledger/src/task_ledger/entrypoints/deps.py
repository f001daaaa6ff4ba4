"""Dependencies of the API routes: the ledger, its settings, the bearer-token user (its session
and credential version checked by `service_layer.auth`, which keeps verified sessions), the
client address behind trusted proxies and the role checks. Routes declare them as `Annotated` types
(`me: CurrentUser`, `ledger: LedgerDep`)."""

from __future__ import annotations

import functools
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from duban_contracts.vocabulary import Role
from task_ledger.domain import authz
from task_ledger.domain.errors import NotAllowed
from task_ledger.domain.model import User
from task_ledger.entrypoints.problems import ApiError
from task_ledger.service_layer.auth import Authenticator, LoginSession
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

TOKEN_SALT = "task-ledger-token"
bearer = HTTPBearer(auto_error=False)
MUST_CHANGE_PASSWORD = "请先修改初始密码（POST /api/auth/password）后再使用其他功能"
# What a user whose initial or reset password must be changed may still do.
PASSWORD_CHANGE_PATHS = frozenset({"/api/auth/password", "/api/auth/logout", "/api/me"})


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


# The dependencies below are coroutines although they never wait: FastAPI runs a plain `def`
# dependency in its thread pool, a thread hop per request for an attribute lookup.
async def ledger_dependency(request: Request) -> Ledger:
    return get_ledger(request)


LedgerDep = Annotated[Ledger, Depends(ledger_dependency)]


async def get_settings(ledger: LedgerDep) -> Settings:
    return ledger.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_authenticator(request: Request) -> Authenticator:
    return request.app.state.auth  # type: ignore[no-any-return]


AuthDep = Annotated[Authenticator, Depends(get_authenticator)]


def client_address(request: Request, settings: Settings) -> str:
    """The client's address for throttling. X-Forwarded-For is believed only when the TCP
    peer is one of `settings.trusted_proxies`: the rightmost address not itself a trusted
    proxy is the client (an untrusted peer cannot choose its address by a header)."""
    peer = request.client.host if request.client else "unknown"
    trusted = trusted_networks(settings.trusted_proxies)
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _is_trusted(hop, trusted):
            return hop[:100]
    return peer


@functools.cache
def trusted_networks(proxies: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _is_trusted(address: str, trusted: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def token_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return _serializer(settings.secret_key.get_secret_value())


@functools.lru_cache(maxsize=4)
def _serializer(secret: str) -> URLSafeTimedSerializer:
    """One serializer per secret: making one per request was a third of a token's check."""
    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT)


def issue_token(settings: Settings, session: LoginSession) -> str:
    """The token names its session (logout revokes it) and the user's credential version."""
    user = session.user
    return token_serializer(settings).dumps(
        {"uid": user.id, "sid": session.session_id, "cv": user.credential_version}
    )


async def current_user(
    request: Request,
    ledger: LedgerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None:
        raise ApiError(401, "请先登录")
    user = await _verify_token(request, ledger, credentials.credentials)
    request.state.user = user  # the audit of refusals names the user
    if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise ApiError(403, MUST_CHANGE_PASSWORD)
    return user


def token_claims(settings: Settings, token: str) -> dict[str, Any]:
    try:
        data = token_serializer(settings).loads(token, max_age=settings.token_lifetime_seconds)
    except SignatureExpired:
        raise ApiError(401, "登录已过期，请重新登录") from None
    except BadSignature:
        raise ApiError(401, "登录凭证无效") from None
    if not isinstance(data, dict) or not {"uid", "sid", "cv"} <= data.keys():
        raise ApiError(401, "登录凭证无效")
    return data


async def _verify_token(request: Request, ledger: Ledger, token: str) -> User:
    data = token_claims(ledger.settings, token)
    auth: Authenticator = request.app.state.auth
    user, why = await auth.check_session(str(data["sid"]), str(data["uid"]), int(data["cv"]))
    if user is None:
        raise ApiError(401, why)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def admin_user(me: CurrentUser) -> User:
    if me.role != Role.ADMIN or not me.active:
        raise NotAllowed("只有管理员可以管理单位和用户")
    return me


AdminUser = Annotated[User, Depends(admin_user)]


async def importer_user(me: CurrentUser) -> User:
    if not authz.is_decider(me):
        raise NotAllowed("只有督查人员可以导入方案")
    return me


ImporterUser = Annotated[User, Depends(importer_user)]

# A monthly report covers every department of a plan, so liaisons never see one.
REPORT_READERS = frozenset({Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN})


async def report_reader(me: CurrentUser) -> User:
    if me.role not in REPORT_READERS:
        raise ApiError(403, "只有督查、领导小组和管理员可以查看月度调度报告")
    return me


ReportReader = Annotated[User, Depends(report_reader)]
