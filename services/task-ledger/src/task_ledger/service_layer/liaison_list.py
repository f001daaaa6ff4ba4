"""Bulk loading of liaisons from a list (.xlsx or .csv: 单位, 姓名, 手机, 邮箱, 企业微信/钉钉 ID).

Two steps, like a plan import: `preview` reads the file and checks every row against the
directory (unknown 单位 with close names suggested, bad e-mail or mobile, duplicates), then
`confirm` checks again and creates every account in one transaction, or none. Each account
logs in with its mobile number and a one-time initial password shown once to the
administrator (changed at the first login in production)."""

from __future__ import annotations

import asyncio
import csv
import difflib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field, replace
from typing import Any

from email_validator import EmailNotValidError, validate_email

from duban_contracts.vocabulary import Role
from task_ledger.adapters import repository as repo
from task_ledger.adapters.repository import people as people_repo
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import Department, User
from task_ledger.service_layer import directory
from task_ledger.service_layer.passwords import password_hasher
from task_ledger.service_layer.people import initial_password
from task_ledger.service_layer.uow import Ledger

MAX_ROWS = 1000
FIELDS = ("department", "name", "mobile", "email", "im_id")
LABELS = {
    "department": "单位",
    "name": "姓名",
    "mobile": "手机",
    "email": "邮箱",
    "im_id": "企业微信/钉钉 ID",
}
# Header names seen in real lists; a header containing one of them counts too, by the one it
# ends with (a Chinese header ends with its noun: 联络员手机 is a mobile, 联络员所在单位 a unit).
ALIASES = {
    "department": (
        "单位",
        "单位名称",
        "部门",
        "部门名称",
        "责任单位",
        "所在单位",
        "工作单位",
        "机构",
    ),
    "name": ("姓名", "联络员", "联络员姓名", "名字", "人员姓名"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "联系电话", "电话", "联系方式"),
    "email": ("邮箱", "电子邮箱", "邮件", "电子邮件", "email", "e-mail", "mail", "邮箱地址"),
    "im_id": (
        "企业微信/钉钉id",
        "企业微信id",
        "钉钉id",
        "企业微信",
        "钉钉",
        "企微",
        "微信",
        "imid",
    ),
}
_MOBILE = re.compile(r"1[3-9]\d{9}")


@dataclass
class LiaisonRow:
    line: int  # the row's line in the file (1-based), as the person sees it in Excel
    department: str
    name: str
    mobile: str = ""
    email: str = ""
    im_id: str = ""
    department_id: str | None = None
    department_name: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def username(self) -> str:
        return self.mobile


@dataclass(frozen=True)
class Created:
    department_name: str
    display_name: str
    username: str
    password: str


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s（）()：:*＊_]", "", text)


def _field_of(header: str) -> str | None:
    h = _norm(header)
    if not h:
        return None
    best: tuple[int, int, str] | None = None  # (where the alias ends, its length, field)
    for name, aliases in ALIASES.items():
        for alias in aliases:
            a = _norm(alias)
            if a == h:
                return name
            at = h.rfind(a)
            if at >= 0 and (best is None or (at + len(a), len(a)) > best[:2]):
                best = (at + len(a), len(a), name)
    return best[2] if best else None


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """The first sheet of an .xlsx (read by the plan importer's bounded reader) or a .csv
    (UTF-8 or GB18030, as Excel saves it in China) as rows of cell texts."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        from duban_planparse.errors import PlanParseError
        from duban_planparse.workbook import read_workbook

        try:
            sheets = read_workbook(data, filename)
        except PlanParseError as exc:
            raise DomainError(str(exc)) from exc
        except zipfile.BadZipFile as exc:  # the size check opens the archive first
            raise DomainError(f"无法读取 Excel 文件（不是有效的 .xlsx）：{filename}") from exc
        return sheets[0].rows if sheets else []
    if lower.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise DomainError("无法识别 CSV 文件的编码，请另存为 UTF-8 编码的 CSV")
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text)) if any(row)]
    raise DomainError("请上传 .xlsx 或 .csv 文件")


def _header(table: list[list[str]]) -> tuple[int, dict[str, int]]:
    """The header row (among the first five: a title may come first) and its columns."""
    for at, header in enumerate(table[:5]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(header):
            name = _field_of(cell)
            if name is not None and name not in columns:
                columns[name] = position
        if "department" in columns and "name" in columns:
            return at, columns
    raise DomainError(
        "没有找到表头：第一行须含“单位”和“姓名”列（还可有手机、邮箱、企业微信/钉钉 ID）"
    )


def parse(table: list[list[str]]) -> list[LiaisonRow]:
    """The list's rows under its header row (blank rows skipped)."""
    index, columns = _header(table)
    rows = []
    for offset, cells in enumerate(table[index + 1 :], start=index + 2):
        values = {
            name: (cells[pos].strip() if pos < len(cells) else "") for name, pos in columns.items()
        }
        if not any(values.values()):
            continue
        rows.append(
            LiaisonRow(offset, **{name: values.get(name, "")[:200] for name in FIELDS})  # type: ignore[arg-type]
        )
    if not rows:
        raise DomainError("名单里没有联络员")
    if len(rows) > MAX_ROWS:
        raise DomainError(f"一次最多导入 {MAX_ROWS} 名联络员，请分批导入")
    return rows


class DepartmentIndex:
    """Finds the department a row names: by name, or by jurisdiction and name when two
    departments share a name (广州市人社局 / 深圳市人社局)."""

    def __init__(self, departments: list[Department]) -> None:
        self.by_name: dict[str, list[Department]] = {}
        self.by_full: dict[str, Department] = {}
        for d in departments:
            self.by_name.setdefault(_norm(d.name), []).append(d)
            self.by_full[_norm(d.jurisdiction + d.name)] = d
        self.names = sorted({d.name for d in departments})

    def find(self, written: str) -> tuple[Department | None, str | None]:
        key = _norm(written)
        if not key:
            return None, "缺少单位"
        if key in self.by_full:
            return self.by_full[key], None
        found = self.by_name.get(key, [])
        if len(found) == 1:
            return found[0], None
        if found:
            examples = "、".join(d.jurisdiction + d.name for d in found[:3])
            return None, f"单位“{written}”有重名，请写明地区，如：{examples}"
        close = difflib.get_close_matches(written, self.names, n=3, cutoff=0.5)
        hint = f"，是否为：{'、'.join(close)}？" if close else "，请先在“单位”页新增该单位"
        return None, f"未知单位“{written}”{hint}"


def mobile_of(text: str) -> str | None:
    digits = re.sub(r"[\s\-－—()（）]", "", unicodedata.normalize("NFKC", text))
    digits = digits.removeprefix("+86").removeprefix("0086")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


def check(rows: list[LiaisonRow], index: DepartmentIndex, taken: set[str]) -> list[LiaisonRow]:
    """Every row with its errors (in Chinese); `taken`: usernames that already exist."""
    out: list[LiaisonRow] = []
    mobiles: dict[str, int] = {}
    emails: dict[str, int] = {}
    people: dict[tuple[str, str], int] = {}
    for raw in rows:
        row = replace(raw, errors=[])
        dep, problem = index.find(row.department)
        if dep is not None:
            row.department_id, row.department_name = dep.id, dep.name
        else:
            row.errors.append(problem or "未知单位")
        if not row.name:
            row.errors.append("缺少姓名")
        mobile = mobile_of(row.mobile) if row.mobile else None
        if not row.mobile:
            row.errors.append("缺少手机号（联络员用手机号登录）")
        elif mobile is None:
            row.errors.append(f"手机号“{row.mobile}”不正确，须为 11 位手机号码")
        else:
            row.mobile = mobile
            if mobile in mobiles:
                row.errors.append(f"手机号与第 {mobiles[mobile]} 行重复")
            elif mobile in taken:
                row.errors.append(f"手机号 {mobile} 已有账号")
            mobiles.setdefault(mobile, row.line)
        if row.email:
            try:
                found = validate_email(row.email, check_deliverability=False, allow_smtputf8=False)
                row.email = found.ascii_email or found.normalized
            except EmailNotValidError:
                row.errors.append(f"邮箱“{row.email}”格式不正确")
            else:
                if row.email.lower() in emails:
                    row.errors.append(f"邮箱与第 {emails[row.email.lower()]} 行重复")
                emails.setdefault(row.email.lower(), row.line)
        person = (row.department_id or row.department, row.name)
        if row.name and person in people:
            row.errors.append(f"与第 {people[person]} 行是同一单位的同一人")
        people.setdefault(person, row.line)
        out.append(row)
    return out


async def preview(ledger: Ledger, rows: list[LiaisonRow]) -> list[LiaisonRow]:
    async with ledger.reading() as conn:
        return await _checked(conn, rows)


async def _checked(conn: Any, rows: list[LiaisonRow]) -> list[LiaisonRow]:
    index = DepartmentIndex(await repo.list_departments(conn, current_only=True))
    wanted = [mobile_of(r.mobile) or r.mobile for r in rows if r.mobile]
    taken = await people_repo.existing_usernames(conn, wanted)
    return check(rows, index, taken)


async def confirm(ledger: Ledger, actor: User, rows: list[LiaisonRow]) -> list[Created]:
    """Create every account of the list, or none (any row with an error refuses all)."""
    checked = await preview(ledger, rows)
    bad = [r for r in checked if r.errors]
    if bad:
        first = bad[0]
        raise DomainError(
            f"名单有 {len(bad)} 行错误，未导入任何账号。"
            f"第 {first.line} 行：{'；'.join(first.errors)}"
        )
    s = ledger.settings
    hasher = password_hasher(s)
    passwords = [initial_password() for _ in checked]
    # argon2 is slow on purpose: in a worker thread, before the transaction opens.
    hashes = [await asyncio.to_thread(hasher.hash, p) for p in passwords]
    created = []
    async with ledger.transaction() as tx:
        again = await _checked(tx.conn, checked)  # an account may have appeared meanwhile
        if any(r.errors for r in again):
            raise DomainError("名单与现有账号冲突（刚有人新增了账号），请重新预览")
        for row, password, password_hash in zip(again, passwords, hashes, strict=True):
            user = User(
                directory.user_id(row.username),
                row.username,
                row.name,
                Role.LIAISON,
                row.department_id,
                row.email or None,
                must_change_password=s.forces_password_change,
                im_id=row.im_id or None,
            )
            if await repo.get_user(tx.conn, user.id) is not None:
                raise DomainError(f"第 {row.line} 行：用户编号已被占用")
            await repo.insert_user(tx.conn, user, password_hash)
            directory.user_changed(tx, user, actor.id)
            created.append(Created(row.department_name, row.name, row.username, password))
        tx.audit(actor.id, "user.bulk_load", "user", actor.id, None, {"count": len(created)})
    return created
