"""The monthly scheduling report (月度调度报告) as data: `facts` holds the plain data a report is
computed from, `monthly` computes the report in one pass over the tasks (so a million tasks
never sit in memory at once). Reading the facts and writing files are adapters
(`adapters.reports`); `service_layer.reports` produces a report file."""
