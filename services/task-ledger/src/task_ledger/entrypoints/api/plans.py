"""Plans (行动方案) the user oversees."""

from __future__ import annotations

from fastapi import APIRouter

from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.entrypoints.responses import PlanOut
from task_ledger.service_layer import queries

router = APIRouter(prefix="/plans", tags=["imports"])


@router.get("", summary="方案列表")
async def plans(ledger: LedgerDep, me: CurrentUser) -> list[PlanOut]:
    return [PlanOut.model_validate(p) for p in await queries.plans_of(ledger, me)]
