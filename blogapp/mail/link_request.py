"""The "mail me a link" form and its throttle, for every page where someone types
an address and the site answers with a mail (a password reset, a reader's data, a
newsletter sign-up).

The answer never says whether the address is known, so the form checks only that
it is an address (WTForms' ``Email()``); the mail proves the rest. Asking is
counted per client address and per address asked for, so nobody floods a
mailbox, and requests from elsewhere cost the owner of an address only their own
limit. Forms on shared, cached pages carry no CSRF token
(``LinkRequestForm(meta={"csrf": False})``): their views check the origin instead.
Its page renders the field with ``templates/mail/_link_request.html``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import Email, InputRequired, Length

from blogapp import throttle

# Lazy, like the label: translated where the form is shown, in that page's language.
INVALID = _l("Please enter a valid e-mail address, like name@example.org.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def address_field(label) -> EmailField:
    return EmailField(
        label,
        filters=[_strip],
        validators=[InputRequired(INVALID), Length(max=254, message=INVALID), Email(INVALID)],
    )


class LinkRequestForm(FlaskForm):
    """An address to mail a link to; a flow adds its own choices in a subclass."""

    email = address_field(_l("Your e-mail address"))

    @property
    def problems(self) -> list[str]:
        """Every error of the form, once each, in the order of its fields (in the
        page's language: the messages are lazily translated)."""
        said: list[str] = []
        for errors in self.errors.values():
            said += [str(e) for e in errors if not isinstance(e, dict) and str(e) not in said]
        return said


def is_address(text: str) -> bool:
    """Whether ``text`` passes ``Email()`` (for addresses that arrive in a file)."""
    if len(text) > 254:
        return False
    # Imported here, as WTForms' Email() does: with idna, half a megabyte in every worker.
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def one_per_address(email: str) -> str:
    """The form of ``email`` stored once however it is typed: the domain is not case
    sensitive (the part before the @ may be, so it is kept as typed)."""
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def refused(scope: str, email: str, *, per_client: str, per_address: str, message: str):
    """Count one request to mail ``email`` a link (``scope``: which flow); the 429 page
    when the client or the address is over its limit, None when the mail may go."""
    verdict = throttle.hit(
        throttle.Counter(f"{scope}-address", throttle.client_address(), per_client),
        throttle.Counter(f"{scope}-email", email.lower()[:254], per_address),
    )
    return None if verdict.allowed else throttle.refused(verdict, message)
