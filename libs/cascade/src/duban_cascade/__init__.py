"""Plan cascade."""
