"""A small HTTP client that fills in HTML forms the way a person does: by the
visible label of each field, keeping the hidden fields (CSRF token, form
timestamp, honeypot) exactly as the server sent them.

Used by the load tests and the benchmark, which must post comments through the
real form without knowing its field names."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: list[dict[str, str]] = field(default_factory=list)  # name, type, value, id
    labels: dict[str, str] = field(default_factory=dict)  # label text -> field id

    def values(self, by_label: dict[str, str]) -> dict[str, str]:
        """The data a browser would send after a person typed ``by_label`` into
        the fields with those labels; unlabelled fields keep their values."""
        data: dict[str, str] = {}
        for f in self.fields:
            if f["type"] in ("submit", "button", "image", "file", "reset"):
                continue
            if f["type"] in ("checkbox", "radio") and "checked" not in f:
                continue
            data[f["name"]] = f["value"]
        for label, value in by_label.items():
            field_id = self.labels.get(label)
            if field_id is None:
                raise KeyError(f"no field labelled {label!r}; labels: {sorted(self.labels)}")
            name = next(f["name"] for f in self.fields if f.get("id") == field_id)
            data[name] = value
        return data


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._textarea: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "label":
            self._label_for = a.get("for", "")
            self._label_text = []
        elif tag in ("input", "select", "button"):
            if "name" in a:
                entry = {
                    "name": a["name"],
                    "type": a.get("type", "text").lower(),
                    "value": a.get("value", ""),
                    "id": a.get("id", ""),
                }
                if "checked" in a:
                    entry["checked"] = "1"
                self._form.fields.append(entry)
        elif tag == "textarea" and "name" in a:
            self._textarea = {
                "name": a["name"],
                "type": "textarea",
                "value": "",
                "id": a.get("id", ""),
            }
            self._form.fields.append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "label" and self._form is not None and self._label_for is not None:
            text = " ".join("".join(self._label_text).split())
            self._form.labels[text.rstrip(" *")] = self._label_for
            self._label_for = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._label_for is not None:
            self._label_text.append(data)
        if self._textarea is not None:
            self._textarea["value"] += data


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(html: str, action_contains: str) -> Form:
    for form in parse_forms(html):
        if action_contains in form.action:
            return form
    raise LookupError(f"no form posting to …{action_contains}… in the page")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str


class Session:
    """One visitor: its own cookies; redirects are returned, not followed."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        url = path if path.startswith("http") else self.base_url + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with self._opener.open(req, timeout=self.timeout) as response:
                return Reply(
                    response.status,
                    dict(response.headers),
                    response.read().decode("utf-8", "replace"),
                )
        except urllib.error.HTTPError as error:
            with error:
                return Reply(
                    error.code, dict(error.headers), error.read().decode("utf-8", "replace")
                )

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict[str, str]) -> Reply:
        # A browser names the page's origin on every POST; the comment form relies on it.
        return self.request("POST", path, data=data, headers={"Origin": self.base_url})
