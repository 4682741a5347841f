"""WSGI entry point for gunicorn.

``gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 edoc.wsgi:app``
"""

from edoc.app import create_app

app = create_app()
