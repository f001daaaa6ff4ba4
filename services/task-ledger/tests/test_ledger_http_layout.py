"""The pages and the JSON API meet only in shared modules (deps, responses, downloads,
refusals) and the service layer, never in each other's modules; both reach the database only
through the service layer."""

from __future__ import annotations

import grimp
import pytest

pytestmark = pytest.mark.unit

API = "task_ledger.entrypoints.api"
WEB = "task_ledger.entrypoints.web"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("task_ledger", cache_dir=None)


@pytest.mark.parametrize(("importer", "imported"), [(API, WEB), (WEB, API)])
def test_pages_and_api_never_import_each_other(
    graph: grimp.ImportGraph, importer: str, imported: str
) -> None:
    chains = graph.find_shortest_chains(importer=importer, imported=imported)
    assert not chains, f"{importer} reaches {imported}: {chains}"


@pytest.mark.parametrize("layer", ["task_ledger.service_layer", "task_ledger.domain"])
def test_the_service_layer_and_domain_never_import_entrypoints(
    graph: grimp.ImportGraph, layer: str
) -> None:
    chains = graph.find_shortest_chains(importer=layer, imported="task_ledger.entrypoints")
    assert not chains, f"{layer} reaches the entrypoints: {chains}"


def test_the_http_layer_reaches_the_database_only_through_the_service_layer(
    graph: grimp.ImportGraph,
) -> None:
    direct = graph.find_matching_direct_imports(
        import_expression="task_ledger.entrypoints.** -> task_ledger.adapters.**"
    )
    allowed = {"task_ledger.entrypoints.messaging"}  # the broker wiring, not the HTTP layer
    assert [i for i in direct if i["importer"] not in allowed] == []
