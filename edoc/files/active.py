"""Active content in a PDF: what would run, launch, send or hide something when the file is opened or clicked.

A PDF that enters with a document is refused when it carries any
(``edoc.documents.signature_reports.validate_entering``): rewriting it would break the signatures it may carry and
change the document its sender made (docs/hostile-input.md). Link annotations (``/URI`` a reader clicks) and
``/GoTo`` navigation are not active content: every exported document has them.
"""

from __future__ import annotations

from typing import BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

RUNS_OR_SENDS = {"/JavaScript": "JavaScript", "/Launch": "lệnh mở chương trình (Launch)",
                 "/SubmitForm": "gửi biểu mẫu ra ngoài (SubmitForm)", "/ImportData": "nhập dữ liệu (ImportData)",
                 "/GoToR": "mở tệp khác (GoToR)", "/GoToE": "mở tệp nhúng (GoToE)",
                 "/Rendition": "trình chiếu đa phương tiện (Rendition)",
                 "/RichMediaExecute": "đa phương tiện (RichMediaExecute)"}
QUIET_ACTIONS = {"/GoTo", "/Named", "/URI", "/Thread", "/Hide", "/SetOCGState", "/Trans", "/GoTo3DView"}
MAX_OBJECTS = 200_000
"""A walk stops there: a real document of thousands of pages holds far fewer reachable dictionaries."""


def active_content(stream: BinaryIO) -> list[str]:
    """What active content the PDF holds, in Vietnamese (empty when none). Raises what PdfFileReader raises for
    a file it cannot read: the caller has refused such files already."""
    reader = PdfFileReader(stream, strict=False)
    found: dict[str, None] = {}
    root = reader.root
    if "/OpenAction" in root:
        _automatic(root["/OpenAction"], "khi mở tệp (OpenAction)", found)
    names = root.get("/Names")
    if isinstance(names, generic.DictionaryObject):
        if "/JavaScript" in names:
            found["JavaScript chạy khi mở tệp"] = None
        if "/EmbeddedFiles" in names:
            found["tệp nhúng bên trong PDF"] = None
    form = root.get("/AcroForm")
    if isinstance(form, generic.DictionaryObject) and "/XFA" in form:
        found["biểu mẫu XFA (có thể chứa mã lệnh)"] = None
    seen: set[tuple[int, int]] = set()
    todo: list[generic.PdfObject] = [reader.root]
    count = 0
    while todo and count < MAX_OBJECTS:
        node = todo.pop()
        if isinstance(node, generic.IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        count += 1
        if isinstance(node, generic.DictionaryObject):
            _inspect(node, found)
            todo.extend(value for key, value in node.items() if key not in {"/Parent", "/P"})
        elif isinstance(node, generic.ArrayObject):
            todo.extend(node)
    return list(found)


def _inspect(node: generic.DictionaryObject, found: dict[str, None]) -> None:
    kind = node.get("/S")
    if isinstance(kind, generic.NameObject) and kind in RUNS_OR_SENDS:
        found[RUNS_OR_SENDS[kind]] = None
    if "/JS" in node:
        found["JavaScript"] = None
    if "/AA" in node:
        triggers = node["/AA"]
        if isinstance(triggers, generic.DictionaryObject):
            for action in triggers.values():
                _automatic(action, "hành động tự động (AA)", found)
    if node.get("/Subtype") == "/FileAttachment" or node.get("/Type") == "/EmbeddedFile":
        found["tệp nhúng bên trong PDF"] = None


def _automatic(action: generic.PdfObject, when: str, found: dict[str, None]) -> None:
    """An action run without the reader's click: anything but plain navigation inside the document."""
    action = action.get_object() if isinstance(action, generic.IndirectObject) else action
    if isinstance(action, generic.ArrayObject):
        return  # a destination: open at a page
    if isinstance(action, generic.DictionaryObject):
        kind = action.get("/S")
        if kind not in {"/GoTo", "/Named", "/Trans", "/SetOCGState"}:
            found[f"{RUNS_OR_SENDS.get(kind, str(kind)[1:] or 'hành động')} {when}"] = None
        if "/Next" in action:
            following = action["/Next"]
            for item in following if isinstance(following, generic.ArrayObject) else [following]:
                _automatic(item, when, found)
