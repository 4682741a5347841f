"""Personal notifications (thông báo): stored, then pushed live to the user's own realtime channel."""
