"""What a WSGI server serves: ``gunicorn wsgi:app`` (or uwsgi, waitress, mod_wsgi).

Without a SECRET_KEY of at least 16 characters in the environment (or in
instance/config.py), building the app stops the process with a one-line message."""

from blogapp import create_app

app = create_app()
