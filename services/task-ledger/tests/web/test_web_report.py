"""The monthly report page at 390 and 1366 px (issue 21): no horizontal overflow, bar labels
in full or wrapped with the full name in the bar's title, the rate definitions printed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_report_reads_on_a_phone_and_a_laptop(ledger_server, browsers, shot) -> None:
    plan = ledger_server.plan_id
    for mobile, width in ((True, 390), (False, 1366)):
        sup = browsers.login("supervisor", mobile=mobile)
        if not mobile:
            sup.set_viewport_size({"width": 1366, "height": 768})
        sup.goto(f"/reports?plan={plan}&month=2025-06")
        expect(sup.get_by_test_id("download-pdf")).to_be_visible()
        assert sup.evaluate("document.documentElement.scrollWidth") <= width
        shot(sup, f"21-reports-{width}")
        sup.goto(f"/reports/view?plan={plan}&month=2025-06")
        expect(sup.get_by_test_id("counting")).to_contain_text("项措施")
        expect(sup.locator("body")).to_contain_text("按期办结率 = 按期办结任务数 ÷ 已办结任务数")
        expect(sup.locator("h3", has_text="省直单位")).to_be_visible()
        # Every department bar names its department in full in its title; no label is cut.
        titles = sup.locator("svg.chart g title").all_text_contents()
        assert any(t.startswith("广东省人力资源和社会保障厅：") for t in titles)
        labels = sup.locator("svg.chart text tspan").all_text_contents()
        assert "人力资源和社会保障厅" in labels and not any(x.startswith("东省") for x in labels)
        assert sup.evaluate("document.documentElement.scrollWidth") <= width
        shot(sup, f"21-report-view-{width}")
