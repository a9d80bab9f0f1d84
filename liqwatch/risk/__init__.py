"""Per-exchange risk math behind one interface (see ``liqwatch.risk.base``)."""
