"""The newsletter, in a real browser against gunicorn, with the mail worker and a
real SMTP server on loopback as everyone's inbox:

1. three readers sign up from the sidebar form: one for English, one for ខ្មែរ,
   one for both; each confirms from the confirmation mail, on a page in the
   list's language (the "both" reader's: the page's own);
2. the editor publishes an English post; the English and "both" readers get it,
   the Khmer reader does not;
3. the English reader unsubscribes in one click from that mail;
4. the editor publishes a second English post: only the "both" reader gets it."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.mail_site import mail_to, site_with_mail, visitor
from tests.browser.support import log_in, shoot
from tests.helpers_mail import text_of
from tests.sites import ADMIN_LOGIN, ADMIN_PASSWORD

pytestmark = pytest.mark.browser

LIST_LABELS = {"en": "English", "km": "ខ្មែរ", "both": "Both"}
# The pages behind a subscriber's links speak the list's language.
CONFIRM_PAGE = {  # list: (<html lang>, the button, what the page says after it)
    "en": ("en", "Confirm my address", "e-mailed to"),
    "km": ("km", "បញ្ជាក់អាសយដ្ឋានរបស់ខ្ញុំ", "នឹងត្រូវផ្ញើតាមអ៊ីមែលទៅ"),
    "both": ("en", "Confirm my address", "e-mailed to"),
}


@pytest.fixture(scope="module")
def newsletter_site(tmp_path_factory):
    with site_with_mail(tmp_path_factory.mktemp("newsletter-site")) as server:
        yield server


def sign_up(page, address: str, lists: str) -> None:
    page.goto("/")
    form = page.locator("aside form.newsletter-form")
    form.get_by_label("Your e-mail address").fill(address)
    form.get_by_label(LIST_LABELS[lists], exact=True).check()
    with page.expect_navigation():
        form.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("status")).to_contain_text("a mail is on its way")


def confirm_from_mail(page, inbox, address: str, lists: str) -> None:
    language, button, said = CONFIRM_PAGE[lists]
    mail = mail_to(inbox, address, "confirm")
    page.goto(re.search(r"http://\S+/newsletter/confirm/\S+", text_of(mail)).group(0))
    expect(page.locator("html")).to_have_attribute("lang", language)
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text(f"{said} {address}")


def publish(page, title: str, body: str) -> None:
    page.goto("/admin/posts/new")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Content", exact=True).fill(body)
    page.get_by_label("Language", exact=True).select_option("en")
    page.get_by_label("Status", exact=True).select_option(label="Published")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("link", name="View post")).to_be_visible()


def test_newsletter_journey(browser, newsletter_site, artifacts):
    run = uuid.uuid4().hex[:6]
    inbox = newsletter_site.inbox
    readers = {lists: f"{lists}-{run}@example.org" for lists in LIST_LABELS}
    contexts = []
    try:
        # 1. Sign up from the sidebar, and confirm from the mail (double opt-in).
        pages = {}
        for lists, address in readers.items():
            context, page = visitor(browser, newsletter_site, width=360 if lists == "km" else 1280)
            contexts.append(context)
            sign_up(page, address, lists)
            pages[lists] = page
        shoot(pages["en"], artifacts, "newsletter-check-inbox")
        for lists, address in readers.items():
            confirm_from_mail(pages[lists], inbox, address, lists)
        shoot(pages["km"], artifacts, "newsletter-confirmed")

        # 2. The editor publishes an English post; it goes to the English lists only.
        editor_context, editor = visitor(browser, newsletter_site)
        contexts.append(editor_context)
        log_in(editor, ADMIN_LOGIN, ADMIN_PASSWORD)
        first = f"Budgets Read Aloud in Every Commune ({run})"
        publish(editor, first, "A budget nobody can read is a budget nobody can question.")
        mail = mail_to(inbox, readers["en"], first)
        assert mail["Subject"] == first
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        mail_to(inbox, readers["both"], first)

        # 3. One click from that mail, and the English reader hears no more.
        reader = pages["en"]
        reader.goto(mail["List-Unsubscribe"].strip("<>"))
        with reader.expect_navigation():
            reader.get_by_role("button", name="Unsubscribe").click()
        expect(reader.get_by_role("status")).to_contain_text("no more posts by e-mail")
        shoot(reader, artifacts, "newsletter-unsubscribed")

        # 4. The next English post reaches "both" only (that mail proves the worker
        # has sent the batch the English reader would have been in).
        second = f"Who Audits the Auditors? ({run})"
        publish(editor, second, "An audit office that answers to the audited is a press office.")
        mail_to(inbox, readers["both"], second)
        assert not [m for m in inbox.to(readers["en"]) if second in text_of(m)]
        assert not [m for m in inbox.to(readers["km"]) if run in m["Subject"]]
    finally:
        for context in contexts:
            context.close()
