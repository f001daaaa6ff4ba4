"""Only the report benchmark is left here (it moves to bench/). The report itself:
`domain.reports` (facts, computation), `adapters.reports` (database source, renderers),
`service_layer.reports` (one report file for the CLI, the API and the pages)."""
