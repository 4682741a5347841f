"""The realtime events notifications send (to the user's personal room), by name: pages listen for these."""

NOTIFICATION = "notification"
"""A new notification: id, kind, text, link and the unread count."""
NOTIFICATION_COUNT = "notification.count"
"""The unread count changed (items opened or all marked read)."""
