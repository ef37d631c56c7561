"""What a page lets a person send: its forms (method, action, fields with their current values) and the query
parameters of its links, read from the rendered HTML. The hostile-input tests send hostile values through each."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit


@dataclass
class PageForm:
    method: str
    path: str
    # name -> values, as the browser would send them unchanged (checked boxes, selected options, hidden values).
    fields: dict[str, list[str]] = field(default_factory=dict)
    # Every field name, sent or not (an unchecked box, a select with nothing chosen).
    names: set[str] = field(default_factory=set)

    def data(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.fields.items()}


@dataclass
class PageLink:
    path: str
    params: dict[str, list[str]]


class _Reader(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[PageForm] = []
        self.links: list[PageLink] = []
        self._form: PageForm | None = None
        self._select: tuple[str, list[str], list[str]] | None = None  # name, options, selected
        self._textarea: tuple[str, list[str]] | None = None

    def _resolve(self, url: str) -> tuple[str, str]:
        parts = urlsplit(urljoin(self.page_url, url or self.page_url))
        return parts.path, parts.query

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            path, query = self._resolve(a.get("action", ""))
            self._form = PageForm(method=a.get("method", "get").lower(), path=path)
            for key, value in parse_qsl(query, keep_blank_values=True):
                self._add(key, value)
        elif tag == "a" and a.get("href"):
            path, query = self._resolve(a["href"])
            if query and path.startswith("/"):
                params: dict[str, list[str]] = {}
                for key, value in parse_qsl(query, keep_blank_values=True):
                    params.setdefault(key, []).append(value)
                self.links.append(PageLink(path=path, params=params))
        elif self._form is None:
            return
        elif tag == "option" and self._select is not None:
            self._select[1].append(a.get("value", ""))
            if "selected" in a:
                self._select[2].append(a.get("value", ""))
        elif not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            name = a["name"]
            self._form.names.add(name)
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self._add(name, a.get("value", "on"))
            elif kind not in {"submit", "button", "image", "reset", "file"}:
                self._add(name, a.get("value", ""))
        elif tag == "select":
            self._select = (a["name"], [], [])
            self._form.names.add(a["name"])
        elif tag == "textarea":
            self._textarea = (a["name"], [])
            self._form.names.add(a["name"])
        elif tag == "button" and a.get("name"):
            self._form.names.add(a["name"])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            name, options, selected = self._select
            for value in selected or options[:1]:
                self._add(name, value)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._add(self._textarea[0], "".join(self._textarea[1]).removeprefix("\n"))
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None

    def _add(self, name, value):
        self._form.fields.setdefault(name, []).append(value)
        self._form.names.add(name)


def page_inputs(html: str, page_url: str) -> tuple[list[PageForm], list[PageLink]]:
    reader = _Reader(page_url)
    reader.feed(html)
    reader.close()
    return reader.forms, reader.links
