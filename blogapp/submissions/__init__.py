"""Op-eds submitted by readers through a form (off unless SUBMISSIONS_ENABLED): each
becomes a pending post bylined with an unconfirmed author profile, its writer's
contact details sealed with age to the editors' public keys (services.py); the form
and the editors' screen are in views.py."""

from blogapp.interface_language import N_

__all__ = ["init_app"]


def init_app(app) -> None:
    """Register what submissions bring (``blogapp.registry``): the editors' mail, the
    form's private blueprint, the Submissions screen, and the hook that forgets a
    submission's contact details when its post is published."""
    from blogapp.registry import AdminScreen, OutboxHandler, registry
    from blogapp.submissions import services, views

    found = registry(app)
    found.add_outbox_kind(OutboxHandler(services.KIND))
    # The form holds a CSRF token: its page is personal, never kept or shared.
    found.private_blueprints.add(views.bp.name)
    app.register_blueprint(views.bp)
    found.add_admin_blueprint(app, views.admin_bp)
    found.add_admin_screen(
        AdminScreen(
            N_("Submissions"),
            "submissions_admin.index",
            lambda e: e.startswith("submissions_admin."),
            admin_only=False,
            shown=services.enabled,
            count=services.waiting,
            count_title=N_("{n} submissions waiting"),
            order=115,
        )
    )
    services.watch_posts()
    app.jinja_env.globals["submission_url"] = views.submission_url
