"""Reading counts without tracking anyone: views and distinct readers per post and
per day, by language and channel, counted from nginx's access log (ingest.py, run by
``flask stats ingest`` from a timer) and shown to editors (views.py). Nothing about a
reader is kept past the day: see ``blogapp.models.stats``."""

from blogapp.interface_language import N_

__all__ = ["init_app"]


def init_app(app) -> None:
    """Register what reading counts bring (``blogapp.registry``): the job that forgets
    finished days' reader hashes, and the Reading screen; and the post editor's numbers."""
    from blogapp.registry import AdminScreen, registry
    from blogapp.stats import ingest, views

    found = registry(app)
    found.add_job("stats", ingest.prune)
    found.add_admin_blueprint(app, views.bp)
    found.add_admin_screen(
        AdminScreen(
            N_("Reading"),
            "stats_admin.overview",
            lambda e: e.startswith("stats_admin."),
            admin_only=False,
            order=125,
        )
    )
    app.jinja_env.globals.update(views.template_globals())
