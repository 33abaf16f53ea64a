"""Two ways of using a page, so every journey is written once and run both ways:
with the mouse (click, fill) and with the keyboard only (Tab, Shift+Tab, Enter,
Space and typing), as a person who cannot use a pointer does."""

from __future__ import annotations

from pathlib import Path

from tests.browser.support import tab_to


class Mouse:
    name = "mouse"

    def __init__(self, page) -> None:
        self.page = page

    def follow(self, link) -> None:
        with self.page.expect_navigation():
            link.click()

    def fill(self, label: str, text: str) -> None:
        self.page.get_by_label(label, exact=True).fill(text)

    def submit(self, button) -> None:
        with self.page.expect_navigation():
            button.click()

    def check(self, label: str) -> None:
        self.page.get_by_label(label, exact=True).check()

    def choose_file(self, label: str, path: Path) -> None:
        self.page.get_by_label(label, exact=True).set_input_files(str(path))

    def select(self, label: str, option: str) -> None:
        self.page.get_by_label(label, exact=True).select_option(label=option)


class Keyboard:
    name = "keyboard"

    def __init__(self, page) -> None:
        self.page = page

    def follow(self, link) -> None:
        """Tab to a link and press Enter."""
        tab_to(self.page, link)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")

    def fill(self, label: str, text: str) -> None:
        """Tab to the field, select what is there, and type over it."""
        tab_to(self.page, self.page.get_by_label(label, exact=True))
        self.page.keyboard.press("ControlOrMeta+A")
        if len(text) > 200:  # long prose arrives as one text input event, as a paste would
            self.page.keyboard.insert_text(text)
        else:
            self.page.keyboard.type(text)

    def submit(self, button) -> None:
        """Tab to a button and press Space (Enter is what links get)."""
        tab_to(self.page, button)
        with self.page.expect_navigation():
            self.page.keyboard.press("Space")

    def check(self, label: str) -> None:
        box = self.page.get_by_label(label, exact=True)
        tab_to(self.page, box)
        if not box.is_checked():
            self.page.keyboard.press("Space")
        assert box.is_checked()

    def choose_file(self, label: str, path: Path) -> None:
        """Tab to the file field; Space opens the file chooser, which takes the file."""
        tab_to(self.page, self.page.get_by_label(label, exact=True))
        with self.page.expect_file_chooser() as chooser:
            self.page.keyboard.press("Space")
        chooser.value.set_files(str(path))

    def select(self, label: str, option: str) -> None:
        """Tab to a drop-down and move through it with the arrow keys."""
        field = self.page.get_by_label(label, exact=True)
        tab_to(self.page, field)
        self.page.keyboard.press("Home")
        for _ in range(50):
            chosen = field.evaluate("el => el.options[el.selectedIndex].text.trim()")
            if chosen == option:
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"no option {option!r} in {label!r}")


ACTORS = {"mouse": Mouse, "keyboard": Keyboard}
