"""The forms a responsibility clause takes, read into a `Responsibility`: keyed
(牵头单位：A；配合单位：B), marked (A（牵头）、B) and free (A牵头，B、C配合 · A、B分别牵头 ·
由分管副市长负责，A牵头，会同B). `responsibility` decides which form a clause has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .clause_patterns import (
    COMMAS,
    DUE_CHUNK,
    FREE_VERB,
    GROUP_START,
    KEY,
    LEAD_MARK,
    LEADER,
    SPACE,
    VERB,
    WITH,
    free_verb,
    is_leader,
    key_role,
    top_level_split,
    verb_role,
)
from .parties import is_collective, looks_like_party, restore_prefixes, split_parties


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


def _parties(text: str) -> list[str] | None:
    names = split_parties(text)
    if not names or not all(looks_like_party(n) for n in names):
        return None
    return restore_prefixes(names)


def is_party_list(content: str) -> bool:
    names = split_parties(SPACE.sub("", content).strip("。；;，,"))
    return bool(names) and all(looks_like_party(n) for n in names)


def is_bare_list(content: str) -> bool:
    """Names only, each shaped like a department (not a collective, which may be prose)."""
    names = split_parties(SPACE.sub("", content).strip("。；;，,"))
    return bool(names) and all(
        looks_like_party(n) and not is_collective(n) and _DEPARTMENT_END.search(n) for n in names
    )


_DEPARTMENT_END = re.compile(
    r"(?:局|厅|委|办|部|院|行|中心|委员会|管委会|人民政府|政府|办事处|海关|公司|集团|协会|联合会|团|队|所|站|署)$"
)


def free_clause(c: str, comma_lead: bool = False, bare: bool = False) -> Responsibility | None:
    """Groups closed by a verb: A牵头，B、C配合 · 由分管副市长负责，A牵头 · A、B分别牵头 · A负责."""
    due_text: str | None = None
    lead: list[str] = []
    support: list[str] = []
    resp: list[list[str]] = []  # each group of 负责 names, split at commas for 逗号前为牵头
    leaders: list[str] = []
    pending: list[str] = []
    for raw in top_level_split(c):
        chunk = GROUP_START.sub("", raw.strip())
        if not chunk:
            continue
        if chunk.startswith(("会同", "联合")) and not pending:
            joined = _parties(FREE_VERB.sub("", chunk[2:]))  # 由A牵头，会同B、C，…
            if joined is None:
                return None
            support.extend(joined)
            continue
        verb = free_verb(chunk)
        if verb is None:
            if DUE_CHUNK.match(chunk):
                due_text = due_text or chunk  # （2024年底前，市发改委牵头）
                continue
            pending.append(chunk)
            continue
        role = verb_role(verb.group())
        body = chunk[: verb.start()]
        with_ = WITH.match(body)
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


def marked_clause(c: str) -> Responsibility | None:
    """A（牵头）、B、C: the lead is marked in the list itself."""
    body = VERB.sub("", KEY.sub("", c))
    names = split_parties(body)
    marked = [bool(LEAD_MARK.search(n)) for n in names]
    names = [LEAD_MARK.sub("", n) for n in names]
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
        titled = any(LEADER.search(piece[:-k]) for k in (1, 2, 3))  # 副县长 + a name
        if people and is_leader(people[-1]) and not is_leader(piece) and titled:
            people[-1] = f"{people[-1]}、{piece}"
        else:
            people.append(piece)
    return people


def keyed_clause(c: str, comma_lead: bool) -> Responsibility | None:
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
        elif role in ("lead", "resp") and LEAD_MARK.search(value):
            marked = marked_clause(value)  # 责任单位：A（牵头）、B
            if marked is None:
                return None
            lead += marked.lead
            support += marked.supporting
            explicit = explicit or bool(marked.lead)
        elif role in ("lead", "support", "resp", "free") and _ROLE_WORD.search(VERB.sub("", value)):
            # 责任单位：A、B分别牵头，C配合 — the value is itself a free clause.
            free = free_clause(value, comma_lead)
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
            free = free_clause(VERB.sub("", value) + "负责", comma_lead)
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
            names = _parties(VERB.sub("", value))
            if names is None:
                return None
            support += names
        else:  # 责任单位 without a 牵头 key
            value = VERB.sub("", value)
            if comma_lead:
                head, _, tail = COMMAS.sub("，", value).partition("，")
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
