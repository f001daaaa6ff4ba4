"""The monthly report's adapters: `source` reads a plan's report facts from the ledger's
database; `render_text` (HTML with SVG `charts`, Markdown) and `render_xlsx` (the Excel work
ledger 工作台账.xlsx, written by `xlsx_writer`) write a computed report."""
