"""Textual widgets that render engine snapshots; no I/O, no ccxt, no aiohttp."""
