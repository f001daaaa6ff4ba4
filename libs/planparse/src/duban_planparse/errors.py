"""The one exception the parser lets escape."""


class PlanParseError(Exception):
    """Input that cannot be read as a plan; the message names the file and the reason."""
