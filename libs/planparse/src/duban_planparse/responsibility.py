"""Responsibility clauses: who leads, who supports, which leader answers for a measure.

Shapes understood (brackets （）()〔〕[]［］【】, or none: a line of its own, the end of a
paragraph after 。/，, the start of a paragraph or its last sentence):
  A、B、C按职责分工负责 · A、B等负责 · 各部门按职责分工负责 · A牵头，B、C配合
  A、B分别牵头，C配合 · 由分管副市长负责，A牵头，会同B，相关部门配合 · A（牵头）、B
  牵头单位：A；责任主体：各县（市、区）；配合单位：B · 协同责任单位/牵头负责领导/责任人：…
  责任单位：A，B、C。逗号前为牵头单位，下同 · （A牵头，各有关单位配合，以下不再逐项列出，下同）
  部门分工：A牵头，各地、各部门配合 · 市政府分管领导：X；牵头单位：A
Notes (下同, conventions) are applied and dropped; leaders go to ``leaders``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .parties import is_collective, looks_like_party, restore_prefixes, split_parties
from .text_lines import CLOSERS, OPENERS

MAX_CLAUSE = 600

_UNIT = r"(?:单位|部门|主体|处室|科室)"
KEY = re.compile(
    r"((?:牵头|主责|主办|承办|负责|责任|主要责任|具体责任|直接责任|落实|实施|"
    r"配合|协办|协助|参与|协同|协同责任|配合责任|协作|共同责任)" + _UNIT + r"|"
    r"(?:牵头负责|牵头|责任|分管|联系|包联|督导|挂点|牵头市|牵头区|牵头县|责任市|责任区|责任县|"
    r"市级|区级|县级|省级|市|区|县|省)领导|责任人|负责人|"
    r"完成时限|完成时间|完成期限|时间节点|时限要求|时间要求|时间安排|进度安排|"
    r"部门分工|责任分工|任务分工|职责分工)\s*[：:]"
)


def key_role(key: str) -> str:
    """lead / support / resp / leader / due / free for a key such as 协同责任单位."""
    if "领导" in key or key.endswith("人"):
        return "leader"
    if key.startswith(("完成", "时间", "时限", "进度")):
        return "due"
    if "分工" in key:
        return "free"
    if any(w in key for w in ("配合", "协办", "协助", "参与", "协同", "协作")):
        return "support"
    if key.startswith(("牵头", "主责", "主办")):
        return "lead"
    return "resp"


_SPACE = re.compile(r"\s+")
_CONTACT = re.compile(r"[（(][^（()）]*(?:联系人|电话|联系方式|手机|邮箱)[^（()）]*[）)]")
_NAME_GAP = re.compile(r"(?<=[\u4e00-\u9fff）)])[ \t\u3000]+(?=[\u4e00-\u9fff（(])")
# Every responsibility clause names a role or a verb of responsibility; other brackets are skipped.
_ROLE_HINT = re.compile(
    r"负责|牵头|配合|参与|协助|协同|协办|单位|部门|领导|分工|时限|时间|节点|责任|主体|主责"
)
_CONVENTION = (
    r"(?:责任单位中|责任单位|单位中|其中)?(?:列|排|排名|排在|排列|位列|列在|居|名列|放在)?"
    r"(?:第一|首|首位|第一位|第一个|最前|最前面|前面)(?:位|个|家)?(?:的)?(?:单位|部门)?"
    r"为牵头(?:单位|部门)(?:[，,]?其他?(?:单位|部门)?为(?:配合|责任|协办)(?:单位|部门))?"
)
_COMMA_CONVENTION = (
    r"(?:责任单位中|其中)?(?:逗号|分号)前(?:的|面的)?(?:单位|部门)?为牵头(?:单位|部门)"
    r"(?:[，,]?(?:逗号|分号)后(?:的|面的)?(?:单位|部门)?为(?:配合|责任|协办)(?:单位|部门))?"
)
_SAME = (
    r"(?:以下|后|下)(?:文)?(?:同|均同)|以下(?:不再|均不再|不)(?:逐项|逐一|一一|重复)?(?:列出|标注|列明|注明|列举)|"
    r"不再(?:逐项|逐一|一一|重复)(?:列出|标注|列明|注明)|(?:以下|后)各项(?:任务)?均同"
)
_NOTE_PART = re.compile(
    rf"(?P<comma>{_COMMA_CONVENTION})|(?P<first>{_CONVENTION})|(?P<same>{_SAME})"
)
_NOTE_STRIP = re.compile(
    rf"[。；;，,]?\s*(?:{_COMMA_CONVENTION}|{_CONVENTION}|{_SAME})\s*(?=[。；;，,]|$)"
)
_VERB = re.compile(
    r"(?:按(?:照)?职责分工负责|按职责分工落实|按职责分工|按职责负责|按职能分工负责|分工负责|共同负责|"
    r"负责落实|按职责落实|负责)$"
)
# （A、B负责，2022年底前完成）: a deadline after the parties.
_TRAILING_DUE = re.compile(
    r"[，,；;]\s*((?:\d{4}年|年内|年底|今年|明年|长期|持续|每年|每季度|每月|\d{1,2}月|常态化)"
    r"[^，,；;]{0,30})$"
)
_COMMAS = re.compile(r"[,；;]")
_LEAD_MARK = re.compile(r"[（(]牵头(?:单位|部门)?[）)]")
# The verb closing one group of a free clause: 市住建局牵头 / 相关部门配合 / 各区负责.
_FREE_VERB = re.compile(
    # 按照各自职责分工 / 各司其职 / 切实 … before the verb itself
    r"(?:按(?:照)?(?:各自)?(?:职责|职能)(?:分工)?|根据职责|各司其职|分工|共同|具体|切实|积极|认真)?"
    r"(?:分别牵头负责|分别牵头|共同牵头|联合牵头|牵头负责|牵头落实|牵头推进|牵头组织|牵头抓总|牵头实施|"
    r"牵头|为牵头(?:单位|部门)|主责|主抓|"
    r"配合落实|配合推进|协同配合|配合|参与|协助|协同推进|协同|协办|为配合(?:单位|部门)|"
    r"负责落实|负责实施|负责推进|抓好落实|组织实施|推进落实|落实|负责|为责任(?:单位|部门))$|"
    r"按(?:照)?(?:各自)?(?:职责|职能)分工$"
)
_DUE_CHUNK = re.compile(
    r"^(?:\d{4}年|年内|年底|长期|持续|每年|每季度|每月|\d{1,2}月)[^，,；;]{0,20}$"
)
_WITH = re.compile(r"^(?P<lead>.+?)(?:会同|联合)(?P<rest>.+)$")
_GROUP_START = re.compile(r"^(?:并由|由|请|并|和|及)")
_LEADER = re.compile(
    r"(?:市长|县长|区长|省长|州长|盟长|旗长|主席|书记|秘书长|主任|部长|厅长|局长|领导|同志|常委|委员)$"
)


# Last characters of every _FREE_VERB alternative: a cheap test before the regex, which is
# anchored at the end and would otherwise be tried at every position of a long chunk.
_FREE_VERB_LAST = frozenset("头责合与助同办位门抓实进织施总工")


def free_verb(chunk: str) -> re.Match[str] | None:
    if not chunk or chunk[-1] not in _FREE_VERB_LAST:
        return None
    return _FREE_VERB.search(chunk, max(0, len(chunk) - 24))


def _verb_role(verb: str) -> str:
    if "牵头" in verb or verb.startswith("主"):
        return "lead"
    if any(w in verb for w in ("配合", "参与", "协助", "协同", "协办")):
        return "support"
    return "resp"


def is_leader(name: str) -> bool:
    """分管副市长, 李副县长, 市政府秘书长: people, who go to ``leaders``, never to departments."""
    return bool(_LEADER.search(name)) and not name.endswith(("委员会", "办公室主任会"))


def top_level_split(text: str, separators: str = "，,；;") -> list[str]:
    """Split on ``separators`` outside brackets: 各县（市、区）人民政府 stays whole."""
    if not any(ch in OPENERS for ch in text):
        return re.split(f"[{separators}]", text)
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS and depth:
            depth -= 1
        elif depth == 0 and ch in separators:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


@dataclass(slots=True)
class Responsibility:
    parties: list[str] = field(default_factory=list)
    lead: list[str] = field(default_factory=list)
    supporting: list[str] = field(default_factory=list)
    leaders: list[str] = field(default_factory=list)
    due_text: str | None = None
    raw: list[str] = field(default_factory=list)
    # False when the lead is only "the first one listed" (no 牵头 marker).
    explicit_lead: bool = False
    # 下同 / 以下不再逐项列出: the clause also holds for the measures that follow.
    carry: bool = False

    def merge(self, other: Responsibility) -> None:
        if not other.raw and not other.parties and not other.leaders:
            return
        if not self.raw and not self.parties and not self.leaders:
            # The common case: the first clause of a measure.
            self.parties, self.lead = list(other.parties), list(other.lead)
            self.supporting, self.leaders = list(other.supporting), list(other.leaders)
            self.explicit_lead, self.raw = other.explicit_lead, list(other.raw)
            self.due_text = self.due_text or other.due_text
            self.carry = other.carry
            return
        lead, supporting = other.lead, other.supporting
        if self.lead and not other.explicit_lead:
            # 牵头单位：A, then a separate 责任单位：B — B supports, it does not co-lead.
            lead, supporting = [], other.lead + other.supporting
        for mine, theirs in (
            (self.lead, lead),
            (self.supporting, supporting),
            (self.leaders, other.leaders),
        ):
            mine.extend(x for x in theirs if x not in mine)
        self.supporting[:] = [x for x in self.supporting if x not in self.lead]
        self.parties[:] = self.lead + self.supporting
        self.explicit_lead = self.explicit_lead or other.explicit_lead
        self.carry = self.carry or other.carry
        self.due_text = self.due_text or other.due_text
        self.raw.extend(other.raw)

    def __bool__(self) -> bool:
        return bool(self.parties or self.leaders)


@dataclass(slots=True)
class ClauseRules:
    """Document-wide conventions announced once (逗号前为牵头单位，下同)."""

    comma_lead: bool = False
    # 列第一位的为牵头单位: a bare list of names in brackets is a clause, its first name leads.
    bare_lists: bool = False

    @classmethod
    def from_preamble(cls, text: str) -> ClauseRules:
        notes = {k for m in _NOTE_PART.finditer(text) for k, v in m.groupdict().items() if v}
        return cls(comma_lead="comma" in notes, bare_lists=bool({"comma", "first"} & notes))


_BRACKET = re.compile(r"[（(〔【\[［）)〕】\]］]|(?<=[。！？])\n")
_ANY_OPENER = re.compile(r"[（(〔【\[［]")


def bracket_groups(text: str) -> list[tuple[int, int]]:
    """Top-level bracket groups as (open, close) indices; unbalanced brackets are skipped."""
    groups: list[tuple[int, int]] = []
    depth = 0
    start = -1
    for match in _BRACKET.finditer(text):
        ch = match.group()
        if ch in OPENERS:
            if depth == 0:
                start = match.start()
            depth += 1
        elif ch == "\n":
            depth = 0  # a bracket left open at a paragraph end was never closed
        elif depth:
            depth -= 1
            if depth == 0:
                groups.append((start, match.start()))
    return groups


_CLAUSE_LIKE = re.compile(r"牵头|(?:责任|配合|协办|主责)(?:单位|部门)|(?:负责|配合)$")


def find_clauses(
    text: str, rules: ClauseRules, unread: list[str] | None = None
) -> tuple[Responsibility, list[tuple[int, int]]]:
    """Responsibility clauses in ``text`` and the spans they occupy (brackets included).

    Brackets that look like a clause but cannot be read are appended to ``unread``.
    """
    found = Responsibility()
    spans: list[tuple[int, int]] = []
    if not _ANY_OPENER.search(text):
        return found, spans
    for open_, close in bracket_groups(text):
        if close - open_ > MAX_CLAUSE:
            continue
        content = text[open_ + 1 : close]
        if found and only_notes(content):
            # （市人社局牵头，市财政局配合）（下同）: a note in brackets of its own.
            notes = _note_kinds(content)
            found.carry = found.carry or ("same" in notes and not {"comma", "first"} & notes)
            spans.append((open_, close + 1))
            continue
        closing = not text[close + 1 : close + 4].strip("。；;，,.　 \t").split("\n", 1)[0]
        parsed = parse_clause(content, rules, bare=closing or rules.bare_lists)
        if parsed is not None:
            found.merge(parsed)
            spans.append((open_, close + 1))
        elif unread is not None and _CLAUSE_LIKE.search(content):
            unread.append(content.strip())
    return found, spans


def _note_kinds(text: str) -> set[str]:
    return {k for m in _NOTE_PART.finditer(text) for k, v in m.groupdict().items() if v}


def only_notes(text: str) -> bool:
    """（下同） · （逗号前为牵头单位，下同）: nothing but notes."""
    squeezed = _SPACE.sub("", text)
    return bool(_NOTE_PART.search(squeezed)) and not _NOTE_STRIP.sub("", squeezed).strip(
        "。；;，, "
    )


_INNER_BRACKETS = re.compile(r"[（(〔【\[［]([^（()）〔〕【】\[\]［］]{1,60})[）)〕】\]］]")


def _unwrap_notes(c: str) -> str:
    """市统计局，各县（市、区）政府（逗号前为牵头单位，下同）: the note leaves its brackets."""
    return _INNER_BRACKETS.sub(
        lambda m: "，" + m.group(1) if only_notes(m.group(1)) else m.group(0), c
    )


def parse_clause(content: str, rules: ClauseRules, bare: bool = False) -> Responsibility | None:
    """Parse the inside of one clause; None when it is not a responsibility clause.

    ``bare``: a list of names without any verb (（市民政局、市财政局）) is accepted too — for a
    bracket closing its paragraph, or when the document announced 列第一位的为牵头单位.
    """
    if len(content) > MAX_CLAUSE:
        return None
    # Under an announced convention any list of parties is a clause; a bracket that merely
    # closes its paragraph must list departments only (（各旗县） may be prose).
    hinted = content if " " not in content else _SPACE.sub("", content)  # 牵 头 from a PDF
    if not _ROLE_HINT.search(hinted) and not (
        (rules.bare_lists and _party_list(content)) or (bare and _bare_list(content))
    ):
        return None
    bare = bare or rules.bare_lists
    if "电话" in content or "联系" in content:
        content = _CONTACT.sub("", content)  # 市发改委（联系人：张三，电话：…）
    # 市发改委 市财政局: a space between two names separates them (a line break may be a wrap);
    # 市 发 改 委 (a PDF that spaces every character) is one name.
    tokens = [t for t in re.split(r"[ \t]+", content) if t]
    if len(tokens) > 1 and all(len(t) >= 2 for t in tokens):
        content = _NAME_GAP.sub("、", content)
    c = _SPACE.sub("", content).strip("。；;，,、")
    if not c:
        return None
    comma_lead = rules.comma_lead
    carry = False
    if "为牵头" in c or "同" in c or "不再" in c:
        c = _unwrap_notes(c)
        notes = _note_kinds(c)
        if notes:
            c = _NOTE_STRIP.sub("", c).strip("。；;，,")
            if "comma" in notes:
                comma_lead = True
                if "same" in notes:
                    rules.comma_lead = True
            if "first" in notes:
                comma_lead = False  # 排名第一的为牵头单位 overrides 逗号前 for this clause
                if "same" in notes:
                    rules.comma_lead = False
            # 下同 after a convention carries the convention; after parties, the parties.
            carry = "same" in notes and not ({"comma", "first"} & notes)
            bare = True  # the note names the list's convention
            if not c:
                return None
    due_text = None
    trailing = _TRAILING_DUE.search(c)
    if trailing and not KEY.match(c):
        due_text, c = trailing.group(1), c[: trailing.start()]
    key = KEY.match(c)
    if key is None and ("：" in c[:14] or ":" in c[:14]):
        # 市政府分管领导：王某；牵头单位：… — a short qualifier before the first key.
        early = KEY.search(c, 0, 16)
        if early and early.start() <= 8 and not re.search(r"[，,；;。]", c[: early.start()]):
            c = c[early.start() :]
            key = KEY.match(c)
    if _LEAD_MARK.search(c) and not key:
        result = _marked(c)
    else:
        result = _keyed(c, comma_lead) if key else _free(c, comma_lead, bare)
    if result is None:
        return None
    result.due_text = result.due_text or due_text
    result.carry = carry and bool(result.parties)
    result.raw.append(content.strip())
    return result


def _parties(text: str) -> list[str] | None:
    names = split_parties(text)
    if not names or not all(looks_like_party(n) for n in names):
        return None
    return restore_prefixes(names)


def _party_list(content: str) -> bool:
    names = split_parties(_SPACE.sub("", content).strip("。；;，,"))
    return bool(names) and all(looks_like_party(n) for n in names)


def _bare_list(content: str) -> bool:
    """Names only, each shaped like a department (not a collective, which may be prose)."""
    names = split_parties(_SPACE.sub("", content).strip("。；;，,"))
    return bool(names) and all(
        looks_like_party(n) and not is_collective(n) and _DEPARTMENT_END.search(n) for n in names
    )


_DEPARTMENT_END = re.compile(
    r"(?:局|厅|委|办|部|院|行|中心|委员会|管委会|人民政府|政府|办事处|海关|公司|集团|协会|联合会|团|队|所|站|署)$"
)


def _free(c: str, comma_lead: bool = False, bare: bool = False) -> Responsibility | None:
    """Groups closed by a verb: A牵头，B、C配合 · 由分管副市长负责，A牵头 · A、B分别牵头 · A负责."""
    due_text: str | None = None
    lead: list[str] = []
    support: list[str] = []
    resp: list[list[str]] = []  # each group of 负责 names, split at commas for 逗号前为牵头
    leaders: list[str] = []
    pending: list[str] = []
    for raw in top_level_split(c):
        chunk = _GROUP_START.sub("", raw.strip())
        if not chunk:
            continue
        if chunk.startswith(("会同", "联合")) and not pending:
            joined = _parties(_FREE_VERB.sub("", chunk[2:]))  # 由A牵头，会同B、C，…
            if joined is None:
                return None
            support.extend(joined)
            continue
        verb = free_verb(chunk)
        if verb is None:
            if _DUE_CHUNK.match(chunk):
                due_text = due_text or chunk  # （2024年底前，市发改委牵头）
                continue
            pending.append(chunk)
            continue
        role = _verb_role(verb.group())
        body = chunk[: verb.start()]
        with_ = _WITH.match(body)
        groups = [*pending, body] if not with_ else [*pending, with_.group("lead")]
        pending = []
        names_by_group: list[list[str]] = []
        for group in groups:
            names = [n for n in split_parties(group) if n]
            people = [n for n in names if is_leader(n) and not looks_like_org(n)]
            leaders.extend(people)
            orgs = [n for n in names if n not in people]
            if not all(looks_like_party(n) for n in orgs):
                return None
            if orgs:
                names_by_group.append(orgs)
        if with_:
            others = _parties(with_.group("rest"))
            if others is None:
                return None
            lead.extend(n for g in names_by_group for n in g)
            support.extend(others)
            continue
        flat = [n for g in names_by_group for n in g]
        if role == "lead":
            lead.extend(flat)
        elif role == "support":
            support.extend(flat)
        elif names_by_group:
            resp.append(flat if not comma_lead else names_by_group[0])
            if comma_lead:
                support.extend(n for g in names_by_group[1:] for n in g)
    if pending and bare and not (lead or support or resp):
        groups_ = [split_parties(g) for g in pending]
        if not all(looks_like_party(n) for g in groups_ for n in g):
            return None
        resp.append(groups_[0] if comma_lead else [n for g in groups_ for n in g])
        if comma_lead:
            support.extend(n for g in groups_[1:] for n in g)
        pending = []
    if pending or not (lead or support or resp or leaders):
        return None
    explicit = bool(lead)
    if not lead and resp:
        lead, resp[0] = resp[0][:1], resp[0][1:]
        if comma_lead:
            lead, resp[0] = lead + resp[0], []
    responsible = [n for g in resp for n in g]
    names = restore_prefixes([*lead, *responsible, *support])
    result = _split_roles(names[: len(lead)], names[len(lead) :], explicit=explicit)
    result.leaders = _dedupe(leaders)
    result.due_text = due_text
    return result


def looks_like_org(name: str) -> bool:
    """分管副市长 is a person; 市政府办公室 is not, even though it ends like a title."""
    return name.endswith(("办公室", "办公厅", "委员会", "部门", "单位"))


def _marked(c: str) -> Responsibility | None:
    """A（牵头）、B、C: the lead is marked in the list itself."""
    body = _VERB.sub("", KEY.sub("", c))
    names = split_parties(body)
    marked = [bool(_LEAD_MARK.search(n)) for n in names]
    names = [_LEAD_MARK.sub("", n) for n in names]
    if not names or not all(looks_like_party(n) for n in names):
        return None
    names = restore_prefixes(names)
    lead = [n for n, m in zip(names, marked, strict=True) if m]
    others = [n for n, m in zip(names, marked, strict=True) if not m]
    return _split_roles(lead, others, explicit=bool(lead))


def _split_roles(lead: list[str], support: list[str], explicit: bool = False) -> Responsibility:
    lead = _dedupe(lead)
    support = [n for n in _dedupe(support) if n not in lead]
    return Responsibility(lead + support, lead, support, explicit_lead=explicit)


_ROLE_WORD = re.compile(r"牵头|配合|参与|协助|协同|协办|会同|负责")


def _people(value: str) -> list[str]:
    """县委常委、副县长王某某 is one person (titles, then the name); 张三、李四 are two."""
    people: list[str] = []
    for piece in split_parties(value):
        titled = any(_LEADER.search(piece[:-k]) for k in (1, 2, 3))  # 副县长 + a name
        if people and is_leader(people[-1]) and not is_leader(piece) and titled:
            people[-1] = f"{people[-1]}、{piece}"
        else:
            people.append(piece)
    return people


def _keyed(c: str, comma_lead: bool) -> Responsibility | None:
    matches = list(KEY.finditer(c))
    segments: list[tuple[str, str]] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(c)
        segments.append((key_role(m.group(1)), c[m.end() : end].strip("。；;，, ")))
    result = Responsibility()
    lead: list[str] = []
    support: list[str] = []
    responsible: list[str] = []
    has_lead_key = any(role == "lead" for role, _ in segments)
    explicit = False
    convention = False
    for role, value in segments:
        if not value:
            continue
        if role == "leader":
            result.leaders.extend(_people(value))
        elif role == "due":
            result.due_text = value
        elif role in ("lead", "resp") and _LEAD_MARK.search(value):
            marked = _marked(value)  # 责任单位：A（牵头）、B
            if marked is None:
                return None
            lead += marked.lead
            support += marked.supporting
            explicit = explicit or bool(marked.lead)
        elif role in ("lead", "support", "resp", "free") and _ROLE_WORD.search(
            _VERB.sub("", value)
        ):
            # 责任单位：A、B分别牵头，C配合 — the value is itself a free clause.
            free = _free(value, comma_lead)
            if free is None:
                return None
            if role == "support":
                support += free.parties
            else:
                lead += free.lead
                support += free.supporting
                explicit = explicit or free.explicit_lead or role == "lead"
            result.leaders.extend(free.leaders)
        elif role == "free":
            free = _free(_VERB.sub("", value) + "负责", comma_lead)
            if free is None:
                return None
            lead += free.lead
            support += free.supporting
        elif role == "lead":
            names = _parties(value)
            if names is None:
                return None
            lead += names
            explicit = True
        elif role == "support" or has_lead_key:
            names = _parties(_VERB.sub("", value))
            if names is None:
                return None
            support += names
        else:  # 责任单位 without a 牵头 key
            value = _VERB.sub("", value)
            if comma_lead:
                head, _, tail = _COMMAS.sub("，", value).partition("，")
                head_names = _parties(head)
                tail_names = _parties(tail) if tail else []
                if head_names is None or tail_names is None:
                    return None
                names = restore_prefixes([*head_names, *tail_names])
                lead += names[: len(head_names)]
                support += names[len(head_names) :]
                # A lead by convention: a 牵头单位 line of the same measure still comes first.
                convention = True
            else:
                names = _parties(value)
                if names is None:
                    return None
                responsible += names
    if responsible and lead:
        support = support + responsible
    elif responsible:
        lead, support = responsible[:1], responsible[1:] + support
    result.explicit_lead = explicit or (bool(lead) and not responsible and not convention)
    names = restore_prefixes([*lead, *support])
    result.lead = _dedupe(names[: len(lead)])
    result.supporting = [n for n in _dedupe(names[len(lead) :]) if n not in result.lead]
    result.parties = result.lead + result.supporting
    result.leaders = _dedupe(result.leaders)
    if not result.parties and not result.leaders and result.due_text is None:
        return None
    return result


def _dedupe(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def parse_line(line: str, rules: ClauseRules) -> Responsibility | None:
    """A clause standing alone on a line: keyed (牵头单位：…) or a bare list + 负责."""
    s = line.strip().strip("。；;")
    if not s or len(s) > MAX_CLAUSE:
        return None
    if s[0] in OPENERS and s[-1] in CLOSERS:
        return None  # bracketed clauses are found by find_clauses
    if KEY.match(s):
        return parse_clause(s, rules)
    if "。" not in s and free_verb(s):  # 市发改委牵头，市财政局按职责分工落实
        return parse_clause(s, rules)
    return None


_INLINE_KEY = re.compile(r"(?:[。；;，,]|\s)\s*(?=" + KEY.pattern + ")")


def split_inline(paragraph: str, rules: ClauseRules) -> tuple[str, Responsibility | None]:
    """``加强统筹。责任单位：A、B。``: an unbracketed clause closing a paragraph."""
    if "：" not in paragraph and ":" not in paragraph:
        return paragraph, None
    match = None
    depth = position = 0
    for candidate in _INLINE_KEY.finditer(paragraph):
        segment = paragraph[position : candidate.start()]
        depth += sum(segment.count(c) for c in OPENERS) - sum(segment.count(c) for c in CLOSERS)
        position = candidate.start()
        if depth <= 0:
            match = candidate  # outside any bracket
            break
    if match is None:
        return paragraph, None
    tail = paragraph[match.end() :]
    if _bracketed_clause(tail):
        return paragraph, None  # leave bracketed clauses to find_clauses
    parsed = parse_clause(tail, rules)
    if parsed is None:
        return paragraph, None
    return paragraph[: match.start() + 1], parsed


def _bracketed_clause(text: str) -> bool:
    """A bracket in `text` that holds a clause of its own. A lead mark (``A（牵头）、B``), a
    note (``（下同）``), a leader's titles or contact details inside a keyed field are part of
    that field."""
    text = _CONTACT.sub("", _LEAD_MARK.sub("", text))
    return any(_CLAUSE_LIKE.search(text[start + 1 : end]) for start, end in bracket_groups(text))


_EARLY_CLAUSE = re.compile(r"^(?:由|[^，,；;。：:]{2,40}?(?:牵头|负责)[，,；;])")
_MAX_LEADING_GROUP = 60


def split_leading(paragraph: str, rules: ClauseRules) -> tuple[str, Responsibility | None]:
    """``由分管副市长负责，市住建局牵头，相关部门配合，开展……``: an unbracketed free clause.

    Looked for at the paragraph start, after a short title sentence (（一）标题。由…牵头，…) and
    as the paragraph's last sentence (…。市工信局牵头，市科技局配合。). The clause is the run of
    groups that each end with a verb of responsibility.
    """
    starts = [(0, False)]
    stop = paragraph.find("。")
    if 0 <= stop < _MAX_LEADING_GROUP:
        starts.append((stop + 1, False))
    last = paragraph.rstrip("。 ").rfind("。")
    if last > 0 and last + 1 != stop + 1:
        starts.append((last + 1, True))  # the last sentence: it must be the clause alone
    for start, alone in starts:
        rest = paragraph[start:]
        if not _EARLY_CLAUSE.match(rest):
            continue
        taken: list[str] = []
        end = 0
        position = 0
        for part in top_level_split(rest):
            text = _GROUP_START.sub("", part.strip())
            position += len(part) + 1
            closing = text.endswith("。") and text.count("。") == 1
            core = text[:-1] if closing else text
            fits = len(core) <= _MAX_LEADING_GROUP and "。" not in core
            joins = bool(taken) and core.startswith(("会同", "联合"))
            if not (fits and (free_verb(core) or joins)):
                break
            taken.append(core)
            end = min(position, len(rest))
            if closing:
                break  # the sentence ends the clause
        if not taken or (start == 0 and end >= len(rest)):
            continue  # a whole clause line is parsed elsewhere
        if alone and rest[end:].strip("。 \n"):
            continue
        parsed = parse_clause("，".join(taken), rules)
        if parsed is not None and parsed.parties:
            return paragraph[:start] + rest[end:], parsed
    return paragraph, None
