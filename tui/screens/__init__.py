"""The App's screens: the monitor, and the modal ones (help, what-if, snooze, alert history, quit)."""
