"""How alerts leave the app: the terminal bell, terminal notifications (OSC 9/777/99, tmux passthrough),
``notify-send``, and webhooks sent from a persisted outbox. ``build_deliveries`` makes them from
``[alerts.delivery]``."""
