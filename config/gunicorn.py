"""gunicorn's settings for the production layout's HTTP server (``make cluster``):

    gunicorn -c python:config.gunicorn --bind 127.0.0.1:8000 --workers 2 --threads 32 config.wsgi:application

``gthread`` workers run Django's sync views on a thread each, with no ASGI thread hops.
The access log goes to stdout through the logging module, and the secret redactor is
installed here, in the master, before any worker forks: every record a worker writes,
access lines with ``?apikey=`` included, is redacted as it is created.
"""
from apikeys.redaction import install_record_factory

install_record_factory()

worker_class = "gthread"
accesslog = "-"
errorlog = "-"
# Keep-alive clients (bots polling the API) stay parked in the worker's poller, not on a thread.
keepalive = 5
# No control socket: its default path is per user, so two servers on one host would share it.
control_socket_disable = True
