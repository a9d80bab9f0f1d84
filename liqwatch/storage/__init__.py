"""The local record: one SQLite file (WAL) with the alert log, the delivery outbox, funding payments,
equity and margin history, and feed incidents.

``Database.open(path)`` creates and migrates it; ``AsyncDatabase`` runs every call on one worker thread so
an asyncio loop never waits on the disk. ``database_path(settings, demo)`` says where the file lives.
Query helpers are plain functions of a ``Database``, one module per table group.
"""
