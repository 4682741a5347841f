"""Paperless meetings (phòng họp không giấy): meetings, participants, agenda, check-in, speakers, votes,
notes and minutes, with their realtime events.

It uses edoc's platform (database, accounts, documents, storage access, signing) through edoc's service layer;
edoc imports it only where the app factory calls ``init_app``. Each subpackage registers its blueprint here,
one line each.
"""

from __future__ import annotations

from flask import Flask

import meetings.agenda.models  # noqa: F401  (its table is in the foundation migration)
from edoc.demo import register_extra as register_demo
from meetings.demo import load_demo_meeting
from meetings.meeting import api as meeting_api  # noqa: F401  (routes attach to edoc's /api/v1 blueprint)
from meetings.meeting.views import bp as meeting_bp
from meetings.minutes import setup as minutes_setup
from meetings.minutes.views import bp as minutes_bp
from meetings.notes.views import bp as notes_bp
from meetings.papers import api as papers_api  # noqa: F401  (routes attach to edoc's /api/v1 blueprint)
from meetings.papers.demo import demo_step as papers_demo_step
from meetings.papers.indexing import register_indexer as register_paper_indexer
from meetings.papers.service import register_rules as register_paper_rules
from meetings.papers.views import bp as papers_bp
from meetings.room import sockets as room_sockets
from meetings.room.views import bp as room_bp
from meetings.votes import api as votes_api  # noqa: F401  (routes attach to edoc's /api/v1 blueprint)
from meetings.votes.views import bp as votes_bp


def init_app(app: Flask) -> None:
    """Register every meetings blueprint. Called by edoc's app factory before it registers edoc's API blueprint,
    to which the meetings API routes attach (imported above)."""
    app.register_blueprint(meeting_bp)
    register_demo(load_demo_meeting)
    register_demo(papers_demo_step)  # after the meeting it adds papers to
    app.register_blueprint(votes_bp)
    app.register_blueprint(minutes_bp)
    minutes_setup.install()
    app.register_blueprint(papers_bp)
    register_paper_rules()
    register_paper_indexer()
    app.register_blueprint(room_bp)
    app.register_blueprint(notes_bp)
    room_sockets.init_app(app)
