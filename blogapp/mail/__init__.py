"""Mail that is never lost and never sent twice.

Every message the blog sends is a row of the ``outbox`` table (``outbox.enqueue``),
written in the transaction of the change that causes it; ``flask deliver``
(``worker``) claims rows and sends them over SMTP (``smtp``) afterwards, so no
request waits for a mail server. ``links`` signs the links mails carry; every "now"
of it is ``blogapp.clock.now``, which tests move."""
