"""Live feeds: one adapter per exchange, all of one shape (REST snapshot + websocket stream + reconciliation)."""
