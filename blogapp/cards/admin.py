"""A post's own share card, chosen in the editor: an upload (checked and re-encoded as
every upload is, ``blogapp.media.storage``) shown instead of the drawn card, cropped to
1200 × 630 from its middle; or back to the drawn card. Each a POST from the post's
edit screen; the card is made right after, as after a save."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blogapp.admin.blueprint import bp
from blogapp.auth.permissions import editor_required
from blogapp.cards.names import HEIGHT, WIDTH
from blogapp.content import post_label
from blogapp.extensions import db
from blogapp.models import Post

MIN_WIDTH, MIN_HEIGHT = WIDTH // 2, HEIGHT // 2  # smaller would be blurred when enlarged


@bp.post("/posts/<int:post_id>/card")
@editor_required
def upload_post_card(post_id: int):
    # Pillow only when a card is uploaded: a reader's worker never loads it.
    from blogapp.cards.services import refresh_post_card
    from blogapp.media.storage import ImageRejected, delete_files, store_image

    post = db.get_or_404(Post, post_id)
    upload = request.files.get("card")
    back = redirect(url_for("admin.edit_post", post_id=post_id) + "#share-card")
    if upload is None or not upload.filename:
        flash(_("Choose a picture to upload as the share card."), "error")
        return back
    try:
        media = store_image(
            upload.stream,
            upload.filename,
            alt=f"Share card: {post_label(post)}",
            uploaded_by=current_user._get_current_object(),
        )
    except ImageRejected as error:
        db.session.rollback()
        flash(_("The share card was not changed: %(error)s", error=error), "error")
        return back
    if media.width < MIN_WIDTH or media.height < MIN_HEIGHT:
        delete_files(media)
        db.session.rollback()
        flash(
            _(
                "The share card was not changed: the picture is %(width)s × %(height)s "
                "pixels; a card needs at least %(min_width)s × %(min_height)s (best "
                "%(best_width)s × %(best_height)s).",
                width=media.width,
                height=media.height,
                min_width=MIN_WIDTH,
                min_height=MIN_HEIGHT,
                best_width=WIDTH,
                best_height=HEIGHT,
            ),
            "error",
        )
        return back
    post.card_media_id = media.id
    db.session.commit()
    refresh_post_card(post_id)
    flash(_("The post's share card is now your picture."), "success")
    return back


@bp.post("/posts/<int:post_id>/card/drawn")
@editor_required
def use_drawn_card(post_id: int):
    from blogapp.cards.services import refresh_post_card  # Pillow: only here

    post = db.get_or_404(Post, post_id)
    back = redirect(url_for("admin.edit_post", post_id=post_id) + "#share-card")
    if post.card_media_id is None:
        flash(_("The post's share card is the drawn one already."), "info")
        return back
    post.card_media_id = None
    db.session.commit()
    refresh_post_card(post_id)
    flash(_("The post's share card is the drawn one again."), "success")
    return back
