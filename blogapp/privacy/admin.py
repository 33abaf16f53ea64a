"""Privacy settings at ``/admin/privacy`` (admins only): what an erasure asked
for by a reader does to their comments. (How long IP addresses are kept is
``COMMENT_IP_RETENTION_DAYS``, shown here.)"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice

from blogapp.admin.blueprint import bp
from blogapp.auth.permissions import admin_required
from blogapp.extensions import db
from blogapp.privacy import services
from blogapp.reader_data import ip_retention_days


class PrivacyForm(FlaskForm):
    erasure = RadioField(
        _l("When a reader asks to delete everything they wrote"),
        choices=[
            SelectChoice(
                services.ANONYMIZE,
                _l(
                    "Anonymize: keep the words, signed “Anonymous”, "
                    "with no name, address, website, IP address or "
                    "browser"
                ),
            ),
            SelectChoice(services.DELETE, _l("Delete their comments (replies from others stay)")),
        ],
    )


@bp.route("/privacy", methods=["GET", "POST"])
@admin_required
def privacy_settings():
    form = PrivacyForm(data={"erasure": services.erasure_mode()})
    if form.validate_on_submit():
        services.save_erasure_mode(form.erasure.data)
        db.session.commit()
        flash(_("Privacy settings saved."), "success")
        return redirect(url_for("admin.privacy_settings"))
    return render_template("admin/privacy.html", form=form, ip_days=ip_retention_days()), (
        400 if form.is_submitted() else 200
    )
