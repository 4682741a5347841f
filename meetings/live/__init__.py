"""A meeting's live event log: every change in the room (agenda moved, check-in, speaker, vote...) is appended
here with the meeting's next sequence number, in the transaction that makes the change, and sent to the
meeting's Socket.IO room after that transaction commits.

This package is the bottom layer of the room: it imports nothing of meetings (its tables point at ``meeting`` by
name), so any meetings package may publish through it without an import cycle. Who may join a meeting's room,
the room page and its socket handlers are in ``meetings.room``, on top of everything.
"""
