"""Paperless meetings (phòng họp không giấy): meetings, participants, agenda, check-in, speakers, votes,
notes and minutes, with their realtime events.

Not built yet: no issue has asked for it so far. It will use edoc's platform (database, accounts, storage
access, signing through edoc's service layer); edoc imports it only where the app factory registers it.
"""
