"""Alerts: pure evaluation of monitor snapshots (``engine.evaluate``), the trader's actions (ack, snooze),
the ``AlertService`` that stores every event before showing or sending it, and delivery channels.

Entry points: ``AlertRuntime`` (everything, from ``Settings``) or ``AlertService`` (bring your own database
and channels); ``engine.evaluate`` for the pure function.
"""
