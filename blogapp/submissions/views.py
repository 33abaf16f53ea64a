"""The public form at ``/submit/`` (off unless SUBMISSIONS_ENABLED) and the editors'
screen of each submission at ``/admin/submissions/<post_id>``.

The form carries a CSRF token, so its page is personal: the blueprint is private
(``private, no-store``, never kept by the page cache, ``blogapp.registry``). The POST
is throttled per client address (SUBMISSIONS_RATE_LIMIT), with a honeypot field and a
signed "served at" stamp that turns away a form sent back in under
SUBMISSIONS_MIN_SECONDS; no address is stored."""

from __future__ import annotations

from functools import lru_cache

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import select

from blogapp import clock, throttle
from blogapp.auth.permissions import editor_required
from blogapp.errors import render_error
from blogapp.extensions import csrf, db
from blogapp.models import AuthorProfile, Post, Submission, post_bylines
from blogapp.submissions import services
from blogapp.submissions.forms import SubmissionForm, UnlockForm

bp = Blueprint("submissions", __name__)
admin_bp = Blueprint("submissions_admin", __name__, url_prefix="/admin/submissions")


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


@lru_cache(maxsize=4)
def _signer(secret_key: str) -> _ClockSigner:
    return _ClockSigner(secret_key, salt="blogapp.submission-form")


def _served_stamp() -> str:
    return _signer(current_app.secret_key).sign(b"submit").decode()


def _too_quick(stamp: str) -> bool:
    """A form sent back faster than a person reads and writes, or without a genuine
    stamp."""
    try:
        _value, served = _signer(current_app.secret_key).unsign(stamp or "", return_timestamp=True)
    except BadSignature:
        return True
    age = clock.now().timestamp() - served.timestamp()
    return age < float(current_app.config["SUBMISSIONS_MIN_SECONDS"])


def _not_set_up():
    return render_error(
        503,
        _(
            "Submissions are not set up on this site yet: the editors "
            "have configured no key to protect your contact details. "
            "Nothing was stored."
        ),
    )


@bp.route("/submit/", methods=["GET", "POST"])
@csrf.exempt  # checked below, once the form is known to be on (else 404)
def submit():
    if not services.enabled():
        abort(404)
    if request.method == "POST":
        csrf.protect()
    form = SubmissionForm()
    if form.is_submitted():
        verdict = throttle.hit(
            throttle.Counter(
                "submission-address",
                throttle.client_address(),
                current_app.config["SUBMISSIONS_RATE_LIMIT"],
            )
        )
        if not verdict.allowed:
            return throttle.refused(verdict, _("Too many submissions; please wait and try again."))
    if form.validate_on_submit():
        if form.website.data or _too_quick(form.served.data):
            # A bot, most likely: answered as if stored, so it learns nothing.
            return render_template("submissions/thanks.html")
        try:
            services.recipients()
        except services.NotSetUp:
            return _not_set_up()
        services.submit(
            services.Sent(
                title=form.title.data,
                body=form.body.data,
                name=form.name.data,
                contact=form.contact.data,
                language=form.language.data,
            )
        )
        db.session.commit()
        return render_template("submissions/thanks.html")
    form.served.data = _served_stamp()
    status = 400 if form.is_submitted() else 200
    return render_template("submissions/form.html", form=form), status


def _submission(post_id: int) -> tuple[Post, Submission]:
    post = db.session.get(Post, post_id)
    found = db.session.get(Submission, post_id)
    if post is None or found is None:
        abort(404)
    return post, found


@admin_bp.route("/<int:post_id>", methods=["GET", "POST"])
@editor_required
def show(post_id: int):
    """The submission: a link to its draft, the unlock form, and Reject. A POST with
    the editor's identity shows the contact details in this response only."""
    post, found = _submission(post_id)
    names = list(
        db.session.scalars(
            select(AuthorProfile.name)
            .join(post_bylines, post_bylines.c.author_id == AuthorProfile.id)
            .where(post_bylines.c.post_id == post.id)
        )
    )
    form = UnlockForm()
    contact = problem = None
    if form.validate_on_submit():
        try:
            contact = services.unseal(found.sealed_contact, form.identity.data)
        except services.WrongIdentity as error:
            problem = str(error)
        form.identity.data = ""  # never echoed back
    return render_template(
        "submissions/admin.html",
        post=post,
        names=names,
        form=form,
        contact=contact,
        problem=problem,
        submission=found,
    )


@admin_bp.post("/<int:post_id>/reject")
@editor_required
def reject(post_id: int):
    post, _found = _submission(post_id)  # its CSRF token: checked for every POST
    services.reject(post)
    db.session.commit()
    flash(_("The submission was rejected: the draft and the contact details are deleted."))
    return redirect(url_for("submissions_admin.index"))


@admin_bp.get("/")
@editor_required
def index():
    rows = db.session.execute(
        select(Post.id, Post.title, Submission.created_at)
        .join(Submission, Submission.post_id == Post.id)
        .order_by(Submission.created_at.desc())
    ).all()
    return render_template("submissions/admin_list.html", rows=rows)


def submission_url(post) -> str | None:
    """For the post editor (a template global): the submission screen of a post that
    came through the form, else None."""
    if post is None or post.id is None or db.session.get(Submission, post.id) is None:
        return None
    return url_for("submissions_admin.show", post_id=post.id)
