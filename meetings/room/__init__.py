"""The live meeting room (phòng họp trực tuyến): the page every participant opens during the meeting, its
snapshot and catch-up endpoints, the Socket.IO handlers that join a meeting's room and carry the room's actions,
and the shared agenda that follows the chair (the item on screen, the presenter's page).

The top layer of meetings: it may import every other meetings package; none imports it (``meetings.init_app``
registers it). The event log it reads is ``meetings.live``.
"""
