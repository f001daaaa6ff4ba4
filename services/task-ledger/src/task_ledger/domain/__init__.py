"""The ledger's domain: pure Python, no framework imports."""
