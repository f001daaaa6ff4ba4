"""The vocabulary of responsibility clauses: keys (牵头单位：…), verbs of responsibility
(牵头/负责/配合…), notes (下同, 逗号前为牵头单位), leaders and deadlines, as regular expressions
and the small tests built on them. Used by `clause_forms` and `responsibility`.
"""

from __future__ import annotations

import re

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


SPACE = re.compile(r"\s+")
CONTACT = re.compile(r"[（(][^（()）]*(?:联系人|电话|联系方式|手机|邮箱)[^（()）]*[）)]")
NAME_GAP = re.compile(r"(?<=[\u4e00-\u9fff）)])[ \t\u3000]+(?=[\u4e00-\u9fff（(])")
# Every responsibility clause names a role or a verb of responsibility; other brackets are skipped.
ROLE_HINT = re.compile(
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
NOTE_PART = re.compile(
    rf"(?P<comma>{_COMMA_CONVENTION})|(?P<first>{_CONVENTION})|(?P<same>{_SAME})"
)
NOTE_STRIP = re.compile(
    rf"[。；;，,]?\s*(?:{_COMMA_CONVENTION}|{_CONVENTION}|{_SAME})\s*(?=[。；;，,]|$)"
)
VERB = re.compile(
    r"(?:按(?:照)?职责分工负责|按职责分工落实|按职责分工|按职责负责|按职能分工负责|分工负责|共同负责|"
    r"负责落实|按职责落实|负责)$"
)
# （A、B负责，2022年底前完成）: a deadline after the parties.
TRAILING_DUE = re.compile(
    r"[，,；;]\s*((?:\d{4}年|年内|年底|今年|明年|长期|持续|每年|每季度|每月|\d{1,2}月|常态化)"
    r"[^，,；;]{0,30})$"
)
COMMAS = re.compile(r"[,；;]")
LEAD_MARK = re.compile(r"[（(]牵头(?:单位|部门)?[）)]")
# The verb closing one group of a free clause: 市住建局牵头 / 相关部门配合 / 各区负责.
FREE_VERB = re.compile(
    # 按照各自职责分工 / 各司其职 / 切实 … before the verb itself
    r"(?:按(?:照)?(?:各自)?(?:职责|职能)(?:分工)?|根据职责|各司其职|分工|共同|具体|切实|积极|认真)?"
    r"(?:分别牵头负责|分别牵头|共同牵头|联合牵头|牵头负责|牵头落实|牵头推进|牵头组织|牵头抓总|牵头实施|"
    r"牵头|为牵头(?:单位|部门)|主责|主抓|"
    r"配合落实|配合推进|协同配合|配合|参与|协助|协同推进|协同|协办|为配合(?:单位|部门)|"
    r"负责落实|负责实施|负责推进|抓好落实|组织实施|推进落实|落实|负责|为责任(?:单位|部门))$|"
    r"按(?:照)?(?:各自)?(?:职责|职能)分工$"
)
DUE_CHUNK = re.compile(
    r"^(?:\d{4}年|年内|年底|长期|持续|每年|每季度|每月|\d{1,2}月)[^，,；;]{0,20}$"
)
WITH = re.compile(r"^(?P<lead>.+?)(?:会同|联合)(?P<rest>.+)$")
GROUP_START = re.compile(r"^(?:并由|由|请|并|和|及)")
LEADER = re.compile(
    r"(?:市长|县长|区长|省长|州长|盟长|旗长|主席|书记|秘书长|主任|部长|厅长|局长|领导|同志|常委|委员)$"
)


# Last characters of every FREE_VERB alternative: a cheap test before the regex, which is
# anchored at the end and would otherwise be tried at every position of a long chunk.
_FREE_VERB_LAST = frozenset("头责合与助同办位门抓实进织施总工")


def free_verb(chunk: str) -> re.Match[str] | None:
    if not chunk or chunk[-1] not in _FREE_VERB_LAST:
        return None
    return FREE_VERB.search(chunk, max(0, len(chunk) - 24))


def verb_role(verb: str) -> str:
    if "牵头" in verb or verb.startswith("主"):
        return "lead"
    if any(w in verb for w in ("配合", "参与", "协助", "协同", "协办")):
        return "support"
    return "resp"


def is_leader(name: str) -> bool:
    """分管副市长, 李副县长, 市政府秘书长: people, who go to ``leaders``, never to departments."""
    return bool(LEADER.search(name)) and not name.endswith(("委员会", "办公室主任会"))


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
