"""The dependency rules of docs/architecture.md, read from the source with ``ast`` (nothing is imported).

Each test names what breaks a rule by file and line, so a failure says what to move. The rules:

- no import cycle between the packages (``edoc.<package>``, ``meetings.<package>``, ``signing``, ``storage``),
  counting every module-level import, ``if TYPE_CHECKING`` ones too (a cycle in the types is a cycle in the
  design);
- no import of a first-party module inside a function: a late import is how a cycle hides;
- ``storage/`` and ``signing/`` import neither edoc, meetings, Flask nor SQLAlchemy;
- edoc imports meetings only in the app factory (``edoc/app.py``), which registers its blueprints;
- edoc's realtime event names are constants of the package's events module, queued by ``emit_after_commit``;
- a transaction is committed through ``edoc.core.db.commit()`` only, by the service function that changes the
  state, never by a view, an API route or a socket handler.

What today's code still breaks is counted per file below (DEBT_*): a count may only go down.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = ("edoc", "meetings", "signing", "storage")
STANDALONE = ("signing", "storage")
STANDALONE_MAY_NOT = ("edoc", "meetings", "flask", "flask_login", "flask_wtf", "flask_sqlalchemy", "werkzeug",
                      "sqlalchemy")
HANDLER_MODULES = ("views", "api", "routes", "sockets", "handlers")
"""Module names (last part, or its ending after ``_``: ``mailbox_views``) holding views, API routes and socket
handlers: thin, they never commit; the service function they call does."""

LAYERS: list[set[str]] = [
    {"signing", "storage"},
    {"edoc.core"},
    {"edoc.config", "edoc.extensions"},
    {"edoc.audit", "edoc.jobs", "edoc.realtime", "edoc.organisations", "edoc.rendering"},
    {"edoc.notifications", "edoc.files"},
    {"edoc.accounts"},
    {"edoc.api", "edoc.calendar"},
    {"edoc.admin", "edoc.contacts"},
    {"edoc.registers", "edoc.tasks"},
    {"edoc.search", "edoc.signatures"},
    {"edoc.documents"},
    {"edoc.incoming"},
    {"edoc.exchange", "edoc.home"},
    {"edoc.demo"},
    {"meetings"},
    {"edoc.commands"},
    {"edoc.app"},
    {"edoc.cli", "edoc.wsgi", "edoc.migrations"},
    {"edoc.__main__"},
]
"""docs/architecture.md's drawing, lowest first: a package imports only from layers below its own. Every
``meetings.<package>`` is in the ``meetings`` layer (its own order is meetings' business, kept by the cycle
rule). A new edoc package goes into the layer its imports put it in."""

DEBT_LAYERS: dict[tuple[str, str], int] = {}

LATE_IMPORTS: dict[tuple[str, str], str] = {}
"""(file, imported module) → why this one import must stay inside a function. Empty: none has a reason."""

# Debt: what today's code still breaks, to be mended package by package (docs/architecture.md, "Debt"). Not
# exceptions: each count must only go down. A file doing worse than its count fails, and so does a count higher
# than what the file still does (lower it in the same change that mends the code), so the lists only shrink.
DEBT_CYCLES: list[set[str]] = []
DEBT_LATE_IMPORTS: dict[str, int] = {}
DEBT_SESSION_COMMITS: dict[str, int] = {}
DEBT_VIEW_COMMITS: dict[str, int] = {}


def _over_debt(found: dict[str, list[str]], debt: dict[str, int], what: str) -> list[str]:
    """What breaks a rule beyond the file's debt, and debts larger than what is left (to be lowered)."""
    problems = []
    for path, places in sorted(found.items()):
        if len(places) > debt.get(path, 0):
            problems.append(f"{path}: {len(places)} {what} (allowed while mended: {debt.get(path, 0)}):")
            problems += [f"    {place}" for place in places]
    for path, count in sorted(debt.items()):
        if len(found.get(path, [])) < count:
            problems.append(f"{path}: debt of {count} but {len(found.get(path, []))} left: lower it in the test")
    return problems


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository, with /
    line: int
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted (``from a import b`` gives a.b when b is a module)
    in_function: bool


def _python_files() -> Iterator[Path]:
    for top in FIRST_PARTY:
        folder = ROOT / top
        if folder.is_dir():
            yield from sorted(p for p in folder.rglob("*.py") if "versions" not in p.relative_to(ROOT).parts)


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.is_dir() or base.with_suffix(".py").is_file()


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    # ``from edoc import jobs`` imports the module edoc.jobs; ``from edoc.jobs import enqueue`` the module edoc.jobs
    return [f"{prefix}.{a.name}" if _is_module(f"{prefix}.{a.name}") else prefix for a in node.names]


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _inside_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return True
    return False


@dataclass
class Source:
    path: Path
    rel: str
    module: str
    tree: ast.Module


SOURCES = [Source(p, p.relative_to(ROOT).as_posix(), _module_of(p), ast.parse(p.read_text(encoding="utf-8")))
           for p in _python_files()]


def _imports() -> list[Import]:
    found = []
    for src in SOURCES:
        parents = _parents(src.tree)
        for node in ast.walk(src.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(src.module, src.path.name == "__init__.py", node):
                    found.append(Import(src.rel, node.lineno, src.module, target, _inside_function(node, parents)))
    return found


IMPORTS = _imports()


def package_of(module: str) -> str:
    """The unit the cycle rule counts: ``edoc.documents`` for every module below it, ``edoc.app`` for a
    top-level module of edoc, ``signing`` and ``storage`` whole."""
    parts = module.split(".")
    if parts[0] in STANDALONE:
        return parts[0]
    return ".".join(parts[:2])


def _first_party(target: str) -> bool:
    return target.split(".")[0] in FIRST_PARTY


def package_graph() -> dict[str, dict[str, list[Import]]]:
    graph: dict[str, dict[str, list[Import]]] = defaultdict(lambda: defaultdict(list))
    for imp in IMPORTS:
        if imp.in_function or not _first_party(imp.target):
            continue
        src, dst = package_of(imp.source), package_of(imp.target)
        if src != dst:
            graph[src][dst].append(imp)
    return graph


def cycles(graph: dict[str, dict[str, list[Import]]]) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(graph) | {d for targets in graph.values() for d in targets}):
        if node not in index:
            visit(node)
    return found


def _describe(component: list[str], graph: dict[str, dict[str, list[Import]]]) -> str:
    lines = [" ⇄ ".join(component)]
    for src in component:
        for dst in component:
            for imp in graph.get(src, {}).get(dst, [])[:3]:
                lines.append(f"    {src} → {dst}: {imp.path}:{imp.line} imports {imp.target}")
    return "\n".join(lines)


def test_the_checks_see_the_code():
    # the reader is not blind: it finds the modules and a known import of each kind
    modules = {s.module for s in SOURCES}
    assert {"edoc.app", "edoc.documents.models", "signing.sign", "storage.base"} <= modules
    graph = package_graph()
    assert "edoc.core" in graph["edoc.documents"]
    assert cycles({"a": {"b": []}, "b": {"a": []}, "c": {"a": []}}) == [["a", "b"]]  # type: ignore[dict-item]


def test_no_import_cycle_between_packages():
    graph = package_graph()
    found = cycles(graph)
    new = [c for c in found if set(c) not in DEBT_CYCLES]
    assert not new, "import cycles between packages:\n" + "\n".join(_describe(c, graph) for c in new)
    mended = [sorted(c) for c in DEBT_CYCLES if sorted(c) not in found]
    assert not mended, f"cycles gone or changed, take them out of DEBT_CYCLES: {mended}"


def layer_of(package: str) -> int | None:
    unit = "meetings" if package.startswith("meetings") else package
    return next((i for i, layer in enumerate(LAYERS) if unit in layer), None)


def test_every_package_has_a_layer():
    missing = sorted({package_of(s.module) for s in SOURCES if layer_of(package_of(s.module)) is None}
                     - {"edoc"})
    assert not missing, f"put these packages in LAYERS (and docs/architecture.md's drawing): {missing}"


def test_packages_import_only_from_lower_layers():
    found: dict[str, list[str]] = defaultdict(list)
    for src, targets in package_graph().items():
        for dst, imports in targets.items():
            low, high = layer_of(dst), layer_of(src)
            if low is None or high is None or low < high or (src.startswith("meetings") and
                                                               dst.startswith("meetings")):
                continue
            found[f"{src} → {dst}"] += sorted({f"{imp.path}:{imp.line} imports {imp.target}" for imp in imports})
    problems = _over_debt(found, {f"{a} → {b}": n for (a, b), n in DEBT_LAYERS.items()}, "upward imports")
    assert not problems, "imports against the layers of docs/architecture.md:\n" + "\n".join(problems)


def test_no_first_party_import_inside_a_function():
    late = [imp for imp in IMPORTS if imp.in_function and _first_party(imp.target)
            and (imp.path, imp.target) not in LATE_IMPORTS]
    found: dict[str, list[str]] = defaultdict(list)
    for imp in sorted({(imp.path, imp.line): imp for imp in late}.values(), key=lambda i: (i.path, i.line)):
        found[imp.path].append(f"{imp.path}:{imp.line} imports {imp.target}")
    problems = _over_debt(found, DEBT_LATE_IMPORTS, "imports inside functions")
    assert not problems, "move these imports to the top (break the cycle that made them late):\n" + \
        "\n".join(problems)
    explained = {(imp.path, imp.target) for imp in IMPORTS if imp.in_function}
    stale = set(LATE_IMPORTS) - explained
    assert not stale, f"LATE_IMPORTS names imports that are gone: {sorted(stale)}"


def test_signing_and_storage_stand_alone():
    wrong = [f"{imp.path}:{imp.line} imports {imp.target}" for imp in IMPORTS
             if imp.source.split(".")[0] in STANDALONE and imp.target.split(".")[0] in STANDALONE_MAY_NOT]
    assert not wrong, "\n".join(wrong)


def test_edoc_imports_meetings_only_in_the_app_factory():
    wrong = [f"{imp.path}:{imp.line} imports {imp.target}" for imp in IMPORTS
             if imp.source.split(".")[0] == "edoc" and imp.target.split(".")[0] == "meetings"
             and imp.path != "edoc/app.py"]
    assert not wrong, "\n".join(wrong)


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def test_only_the_commit_helper_commits_the_session():
    found: dict[str, list[str]] = defaultdict(list)
    for src in SOURCES:
        if src.rel == "edoc/core/db.py":
            continue
        for call in _calls(src.tree):
            if (isinstance(call.func, ast.Attribute) and call.func.attr == "commit"
                    and ast.unparse(call.func.value).endswith("session")):
                found[src.rel].append(f"{src.rel}:{call.lineno}: {ast.unparse(call)}")
    problems = _over_debt(found, DEBT_SESSION_COMMITS, "session commits")
    assert not problems, "commit with edoc.core.db.commit():\n" + "\n".join(problems)


def test_commit_is_the_helper_where_it_is_called():
    """``commit()`` must be ``edoc.core.db.commit``: a parameter named ``commit`` (``store_upload(commit=True)``)
    turned the call into calling a bool, and the linter removed the unused import without a word."""
    wrong = []
    for src in SOURCES:
        for fn in ast.walk(src.tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = {a.arg for a in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs}
            if "commit" in params and any(ast.unparse(c.func) == "commit" for c in _calls(fn)):
                wrong.append(f"{src.rel}:{fn.lineno}: {fn.name}(commit=...) calls commit()")
    assert not wrong, "\n".join(wrong)


def _is_handler(src: Source) -> bool:
    last = src.module.split(".")[-1]
    return last in HANDLER_MODULES or last.rsplit("_", 1)[-1] in HANDLER_MODULES


def test_views_api_routes_and_handlers_never_commit():
    found: dict[str, list[str]] = defaultdict(list)
    for src in SOURCES:
        if not _is_handler(src):
            continue
        for call in _calls(src.tree):
            name = ast.unparse(call.func)
            if name == "commit" or name.endswith(".commit"):
                found[src.rel].append(f"{src.rel}:{call.lineno}: {name}()")
    problems = _over_debt(found, DEBT_VIEW_COMMITS, "commits in views")
    assert not problems, "a view commits: the service function it calls commits instead:\n" + "\n".join(problems)


def test_realtime_event_names_are_constants_and_leave_after_commit():
    """In edoc, an event is queued with ``emit_after_commit`` under a name from its package's events module, and
    only ``edoc/realtime`` emits (meetings' live package keeps its own names and sequence numbers)."""
    literal, direct = [], []
    for src in SOURCES:
        if src.module.split(".")[0] != "edoc":
            continue
        for call in _calls(src.tree):
            name = ast.unparse(call.func)
            if name.endswith("emit_after_commit") and len(call.args) > 1 and isinstance(call.args[1], ast.Constant):
                literal.append(f"{src.rel}:{call.lineno}: {ast.unparse(call.args[1])}")
            if name.endswith(".emit") and not src.rel.startswith("edoc/realtime/"):
                direct.append(f"{src.rel}:{call.lineno}: {name}()")
    assert not literal, "name the event in the package's events module:\n" + "\n".join(literal)
    assert not direct, "emit through edoc.realtime.events.emit_after_commit:\n" + "\n".join(direct)


def test_the_debt_check_fails_both_ways():
    assert _over_debt({"a.py": ["a.py:1", "a.py:2"]}, {"a.py": 1}, "x")  # worse than the debt
    assert _over_debt({"a.py": ["a.py:1"]}, {"a.py": 2}, "x")  # better: the count must come down
    assert not _over_debt({"a.py": ["a.py:1"]}, {"a.py": 1}, "x")
