def init_app(app) -> None:
    """Placeholder."""
