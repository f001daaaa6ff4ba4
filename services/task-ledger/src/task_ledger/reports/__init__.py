"""The monthly scheduling report (月度调度报告) and the Excel work ledger (工作台账.xlsx).

`facts` holds the plain data a report is computed from, `monthly` computes the report in one
pass over the tasks (so a million tasks never sit in memory at once), and `render_*` write it
as HTML (printable, with SVG charts), Markdown and xlsx. `source` reads the facts from the
ledger's database.
"""
