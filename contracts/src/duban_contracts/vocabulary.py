"""Shared enumerations. Values are stable English identifiers; `label` is what people read."""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    DRAFT = "draft"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    COMPLETION_REQUESTED = "completion_requested"
    COMPLETED = "completed"
    RETURNED = "returned"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self not in (TaskStatus.COMPLETED, TaskStatus.CLOSED)


_STATUS_LABELS = {
    TaskStatus.DRAFT: "待交办",
    TaskStatus.DISPATCHED: "已交办",
    TaskStatus.ACKNOWLEDGED: "已签收",
    TaskStatus.IN_PROGRESS: "办理中",
    TaskStatus.COMPLETION_REQUESTED: "申请办结",
    TaskStatus.COMPLETED: "已办结",
    TaskStatus.RETURNED: "退回",
    TaskStatus.CLOSED: "已销号",
}


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}[self.value]


class EscalationLevel(StrEnum):
    BLUE = "blue"
    ORANGE = "orange"
    RED = "red"

    @property
    def label(self) -> str:
        return {"blue": "蓝", "orange": "橙", "red": "红"}[self.value]


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"approved": "批准", "rejected": "退回"}[self.value]


class Channel(StrEnum):
    EMAIL = "email"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    INBOX = "inbox"

    @property
    def label(self) -> str:
        return {"email": "邮件", "wecom": "企业微信", "dingtalk": "钉钉", "inbox": "站内信"}[
            self.value
        ]


class Role(StrEnum):
    LIAISON = "liaison"
    DEPARTMENT_HEAD = "department_head"
    SUPERVISOR = "supervisor"
    LEADERSHIP = "leadership"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "liaison": "联络员",
            "department_head": "部门负责人",
            "supervisor": "督查",
            "leadership": "领导小组",
            "admin": "管理员",
        }[self.value]


class JurisdictionLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWN = "town"

    @property
    def label(self) -> str:
        return {
            "national": "国家",
            "province": "省",
            "city": "市",
            "county": "县/区",
            "town": "街镇",
        }[self.value]


class ReminderKind(StrEnum):
    BEFORE_DUE = "before_due"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    REPORT_DEADLINE = "report_deadline"
