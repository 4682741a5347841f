"""Private notes (ghi chú riêng): each delegate's own text on a meeting, seen by nobody else, kept after the
meeting, never written into the meeting's shared file or its event log."""
