"""Mail that is never lost and never sent twice.

Every message the blog sends is a row of the ``outbox`` table (``outbox.enqueue``),
written in the transaction of the change that causes it; ``flask deliver``
(``worker``) claims rows and sends them over SMTP (``smtp``) afterwards, so no
request waits for a mail server. ``links`` signs the links mails carry; every "now"
of it is ``blogapp.clock.now``, which tests move."""


def init_app(app) -> None:
    """Register the outbox's own part (``blogapp.registry``): pruning finished mail and
    its reader eraser (mail to them and about their comments). Its admin screen is
    the admin's (``blogapp.admin.outbox``): admin screens need ``blogapp.auth``, which
    sends mail."""
    from blogapp.mail import retention
    from blogapp.registry import ReaderData, registry

    found = registry(app)
    found.add_job(
        "outbox",
        lambda: (
            f"Deleted {retention.prune()} sent, failed or cancelled mail(s) older than "
            f"{retention.keep_days()} day(s)."
        ),
    )
    found.add_reader_data(ReaderData("outbox", retention.erase_reader))
