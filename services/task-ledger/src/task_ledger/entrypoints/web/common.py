"""What every page shares: templates, the signed-in user, CSRF-checked forms, redirects, and
one route class turning refusals into pages (the API turns the same ones into problem+json)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.datastructures import FormData

from duban_common import richtext
from duban_common.logging import get_logger
from duban_contracts.vocabulary import Light, Role
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotAllowed, NotFound, RateLimited
from task_ledger.domain.model import Task, User
from task_ledger.entrypoints import task_exports
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.refusals import audit_denied
from task_ledger.entrypoints.web.session import Session, WebConfig, get_session
from task_ledger.service_layer import people, queries, rate_limits
from task_ledger.service_layer.auth import Authenticator
from task_ledger.service_layer.handlers import AccessDenied

log = get_logger(__name__)
HERE = Path(__file__).parent
CHINA = ZoneInfo("Asia/Shanghai")
templates = Jinja2Templates(directory=str(HERE / "templates"))
LIGHT_ORDER = {Light.RED.value: 0, Light.YELLOW.value: 1, Light.GREEN.value: 2}


def local_time(at: datetime | None) -> str:
    if at is None:
        return ""
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def filesize(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


@pass_context
def message_html(context: Context, body: str | None) -> Markup:
    """An inbox message (Markdown, as the notifier wrote it) as sanitised HTML, links as
    buttons. Rendered here, at display time: HTML from the bus is never trusted."""
    request = context.get("request")
    site = f"{request.url.scheme}://{request.url.netloc}" if request is not None else None
    return Markup(richtext.to_html(body or "", richtext.INBOX_STYLE, site=site))


templates.env.filters["local_time"] = local_time
templates.env.filters["message_html"] = message_html
templates.env.filters["filesize"] = filesize
templates.env.globals["isoformat"] = lambda d: d.isoformat() if isinstance(d, date) else ""


class LoginRequired(Exception):
    pass


class PasswordChangeRequired(Exception):
    pass


PASSWORD_PAGE = "/password"


class CsrfRefused(Exception):
    pass


class Forbidden(Exception):
    """The page exists but not for this role (e.g. a liaison opening the import page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def config_of(request: Request) -> WebConfig:
    return request.app.state.web  # type: ignore[no-any-return]


async def current_user(request: Request) -> User | None:
    """The signed-in user: the session's row must be live and the user's credential version
    the one the cookie carries (logout or a password change anywhere ends it)."""
    session = get_session(request)
    if session.user_id is None:
        return None
    auth: Authenticator = request.app.state.auth
    user = await auth.session_user(session.sid, session.user_id, session.version)
    if user is None:
        session.user_id = None
        session.modified = True
        return None
    _, request.state.unread = await queries.user_and_unread(get_ledger(request), user.id)
    if user.role == Role.ADMIN:  # "N 个单位尚无联络员" on the admin's home and import pages
        request.state.unstaffed = await people.count_without_liaison(get_ledger(request))
    request.state.user = user  # the audit of refusals names the user
    return user


async def page_user(request: Request) -> User:
    """Dependency of every signed-in page. An initial or reset password that must be changed
    sends the user to the password page first."""
    user = await current_user(request)
    if user is None:
        raise LoginRequired
    if user.must_change_password and request.url.path != PASSWORD_PAGE:
        raise PasswordChangeRequired
    return user


def task_rows(request: Request, tasks: list[Task], names: dict[str, str]) -> list[dict[str, Any]]:
    """Tasks as the templates show them: the API's task fields, department names, days late."""
    return task_exports.rows_of(get_ledger(request), tasks, names)


def require_overseer(user: User, what: str) -> None:
    if user.role not in authz.OVERSEERS:
        raise Forbidden(f"只有督查人员可以{what}")


def require_decider(user: User, what: str) -> None:
    if not authz.is_decider(user):
        raise Forbidden(f"只有督查人员可以{what}")


async def checked_form(request: Request) -> FormData:
    """The posted form, after the CSRF token matched the session's."""
    session = get_session(request)
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise CsrfRefused
    form = await request.form(max_files=20, max_fields=200)
    token = form.get("csrf_token")
    if not session.check_csrf(token if isinstance(token, str) else None):
        raise CsrfRefused
    return form


def text(form: FormData, name: str, limit: int = 20_000) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if len(value) > limit:
        raise DomainError(f"“{name}”内容过长（上限 {limit} 字）")
    return value


def integer(form: FormData, name: str, label: str, low: int, high: int) -> int:
    try:
        value = int(text(form, name, 20))
    except ValueError:
        raise DomainError(f"请填写{label}") from None
    if not low <= value <= high:
        raise DomainError(f"{label}须在 {low} 到 {high} 之间")
    return value


def a_date(form: FormData, name: str, label: str) -> date:
    try:
        return date.fromisoformat(text(form, name, 20))
    except ValueError:
        raise DomainError(f"请填写正确的{label}") from None


def safe_next(value: str | None, default: str) -> str:
    """Only local paths: a crafted `next` never sends people to another site."""
    # Browsers drop tabs and newlines from URLs ("/\t/evil" becomes "//evil"): refuse them.
    if (
        value
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and not any(c.isspace() or ord(c) < 32 for c in value)
    ):
        return value
    return default


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def act(
    request: Request,
    back: str,
    action: Coroutine[Any, Any, Any],
    done: str,
    limit: str | None = None,
) -> RedirectResponse:
    """Run one service-layer command; its refusal (in Chinese) is shown on the page.
    `limit`: the kind of write it counts as against the user's rate limit."""
    session = get_session(request)
    try:
        if limit is not None:
            try:
                await rate_limits.count(get_ledger(request), request.state.user, limit)
            except RateLimited:
                action.close()  # never started
                raise
        await action
    except DomainError as exc:
        session.flash(str(exc), "error")
    else:
        session.flash(done, "success")
    return redirect(back)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    session: Session = get_session(request)
    user = getattr(request.state, "user", None)
    base = {
        "request": request,
        "me": user,
        "csrf_token": session.csrf,
        "flashes": session.pop_flashes(),
        "is_overseer": user is not None and user.role in authz.OVERSEERS,
        "is_decider": user is not None and authz.is_decider(user),
        "unread": getattr(request.state, "unread", 0),
        "unstaffed_count": getattr(request.state, "unstaffed", 0),
    }
    response = templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
    no_store(response)
    return response


def no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


def security_headers(response: Response, inline_styles: bool = False) -> None:
    style = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; img-src 'self' data:; style-src {style}; script-src 'none'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"


class PageRoute(APIRoute):
    """Refusals become pages: not signed in → login; another department's task → the same
    404 as a missing one (audited, like the API); a bad CSRF token → 403."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except LoginRequired:
                path = quote(request.url.path)
                target = "/login" + (f"?next={path}" if request.method == "GET" else "")
                response = redirect(target)
            except PasswordChangeRequired:
                get_session(request).flash("请先修改初始密码。", "warning")
                response = redirect(PASSWORD_PAGE)
            except CsrfRefused:
                response = render(
                    request,
                    "error.html",
                    403,
                    title="请求被拒绝",
                    message="表单已失效或来源不明（CSRF 校验未通过），请刷新页面后重试。",
                )
            except Forbidden as exc:
                response = render(request, "error.html", 403, title="无权访问", message=exc.message)
            except AccessDenied as exc:
                await audit_denied(request, exc)
                response = render(
                    request, "error.html", 404, title="不存在", message="任务不存在或无权访问。"
                )
            except NotFound as exc:
                response = render(request, "error.html", 404, title="不存在", message=str(exc))
            except NotAllowed as exc:
                response = render(request, "error.html", 403, title="无权操作", message=str(exc))
            except DomainError as exc:
                response = render(request, "error.html", 422, title="出错了", message=str(exc))
            except Exception:
                log.exception("page_failed", path=request.url.path)
                message = "服务器内部错误，请稍后重试。"
                response = render(request, "error.html", 500, title="出错了", message=message)
            security_headers(response, inline_styles=request.url.path == "/reports/view")
            return response

        return handler
