"""Realtime (Socket.IO): authenticated connections, a personal room per user, events emitted after commit."""
