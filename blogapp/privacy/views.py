"""The privacy page, and a commenter's own data.

``/privacy/`` says what is kept and for how long, filled from the settings: the
same page for everyone (cached like any public page).

``/your-data/`` asks for the address a reader commented with and what they want:
a copy of their data or its erasure. The form is on a shared page, so it carries no
CSRF token: the POST must come from a page of this site and is throttled per client
address and per address asked for. The answer is the same whether the blog holds
anything from that address or not; when it does, a mail with a signed, single-use
link follows. The link's page only shows a button; its POST exports (a JSON
download) or erases. Those pages hold a personal token: never cached, no Referer."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import AnyOf

from blogapp.errors import render_error
from blogapp.extensions import csrf, db
from blogapp.mail import links
from blogapp.mail import retention as mail_retention
from blogapp.mail.link_request import LinkRequestForm, refused
from blogapp.mail.outbox import mail_enabled
from blogapp.models import UsedToken
from blogapp.privacy import services
from blogapp.reader_data import ip_retention_days
from blogapp.security import is_same_origin

bp = Blueprint("privacy", __name__)

ASKED = _l(
    "If anything here was written with that address, a mail is on its way to it "
    "with a link to confirm. Nothing happens until you open it."
)


class ReaderDataForm(LinkRequestForm):
    what = StringField(
        validators=[
            AnyOf(
                (services.EXPORT, services.ERASE),
                message=_l("Please choose what you want: a copy, or to delete it."),
            )
        ]
    )


@bp.after_request
def _private(response):
    personal = request.endpoint == "privacy.confirm" or (
        request.endpoint == "privacy.your_data" and links.pressed()
    )
    if personal:
        response.headers["Cache-Control"] = "no-store, private"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/privacy/")
def policy():
    return render_template(
        "privacy/policy.html",
        ip_days=ip_retention_days(),
        mail_days=mail_retention.keep_days(),
        erasure=services.erasure_mode(),
        remember_days=current_app.config["REMEMBER_COOKIE_DURATION"].days,
        mail=mail_enabled(),
    )


@bp.route("/your-data/", methods=["GET", "POST"])
@csrf.exempt  # the form is on a shared page: see the module's docstring
def your_data():
    if not links.pressed():  # HEAD too: only the form's POST asks for a mail
        return render_template("privacy/your_data.html", mail=mail_enabled())
    if not is_same_origin():
        return render_error(403, _("This form must be sent from a page of this site."))
    if not mail_enabled():
        return render_error(404, _("This site sends no e-mail."))
    form = ReaderDataForm(meta={"csrf": False})
    if not form.validate():
        return render_template(
            "privacy/your_data.html",
            mail=True,
            problems=form.problems,
            email=(form.email.data or "")[:254],
            what=form.what.data,
        ), 400
    email, what = form.email.data, form.what.data
    limit = current_app.config["READER_DATA_RATE_LIMIT"]
    too_many = refused(
        "reader-data",
        email,
        per_client=limit,
        per_address=limit,
        message=_("Too many requests; please wait and try again."),
    )
    if too_many:
        return too_many
    services.send_confirmation(email, what)
    db.session.commit()
    return render_template("mail/message.html", title=_("Check your inbox"), message=ASKED)


def _problem(message: str):
    return render_template(
        "mail/message.html", title=_("This link does not work"), message=message
    ), 400


@bp.route("/your-data/confirm/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the authority
def confirm(token: str):
    hours = int(current_app.config["READER_DATA_LINK_HOURS"])
    try:
        data = links.read(services.PURPOSE, token, timedelta(hours=hours))
    except links.LinkError as error:
        return _problem(_(error.message))
    email, what, nonce = str(data.get("e", "")), data.get("w"), str(data.get("n", ""))
    if what not in (services.EXPORT, services.ERASE) or not email or not nonce:
        return _problem(_("This link is not valid."))
    if db.session.get(UsedToken, nonce) is not None:
        return _problem(_("This link was already used. Ask again if you need to."))
    if not links.pressed():
        return render_template(
            "privacy/confirm.html",
            token=token,
            what=what,
            email=email,
            erasure=services.erasure_mode(),
        )
    if not links.consume(nonce, services.PURPOSE):
        db.session.rollback()
        return _problem(_("This link was already used. Ask again if you need to."))
    if what == services.EXPORT:
        body = json.dumps(services.export(email), ensure_ascii=False, indent=2)
        db.session.commit()
        return Response(
            body,
            mimetype="application/json",
            headers={"Content-Disposition": 'attachment; filename="my-comments.json"'},
        )
    count = services.erase(email)
    db.session.commit()
    if services.erasure_mode() == services.DELETE:
        message = _("%(count)s comment(s) deleted; your subscriptions ended.", count=count)
    else:
        message = _("%(count)s comment(s) anonymized; your subscriptions ended.", count=count)
    return render_template("mail/message.html", title=_("Done"), message=message)
