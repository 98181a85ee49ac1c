"""Imports go one way: no cycle among sxflow's modules, and no import inside a function but an optional one.

The modules' own source is read (with ``ast``), so the rules hold for every module,
not only those a test happens to import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sxflow"

# What a function may import itself, and why not at the top of its module: optional
# extras and platform modules (absent on some installations), and modules only a rare
# path needs whose import would cost every start-up (the cold start of `import sxflow`).
FUNCTION_LEVEL_ALLOWED = {
    "httpx": "the fed extra (HTTP client)",
    "uvicorn": "the fed extra (HTTP server)",
    "ray": "the ray extra",
    "lark_cython": "an optional faster lexer",
    "readline": "absent on some platforms (Windows)",
    "resource": "Unix only",
    "sqlite3": "cold start: only a store file needs it",
    "asyncio": "cold start: only a serving process needs it (uvicorn has loaded it by then)",
    "difflib": "cold start: only a \"did you mean\" hint needs it",
}

# The one module whose functions may import sxflow modules: it imports subsystems (fed,
# ray, the flow library...) and rarely used builtins (hash tables, files...) on first
# use, so that a cold start compiles none of them (see its docstring).
DEFERRED_IMPORTER = "sxflow.deferred"

# What else a cold start leaves alone: the command line's own modules.
COLD_START_UNLOADED = ("sxflow.cli", "sxflow.check", "sxflow.repl", "sxflow.reporting", "sxflow.fed.command")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, tuple[Path, ast.Module]]:
    return {module_name(path): (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
            for path in sorted(PACKAGE.rglob("*.py"))}


def imported_names(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known) -> list[str]:
    """The sxflow modules an import statement loads (a name imported from a package may be its submodule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "sxflow"]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "sxflow":
        return []
    names = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known]
    if len(names) < len(node.names):
        names.append(target)  # names defined in the module itself
    return names


def top_level_imports(tree: ast.Module):
    """Import statements that run when the module is imported (not under ``if TYPE_CHECKING``)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody
                           + [item for handler in node.handlers for item in handler.body])


def import_graph(modules) -> dict[str, set[str]]:
    """module -> the sxflow modules importing it loads first (a submodule's package included)."""
    graph: dict[str, set[str]] = {}
    for module, (path, tree) in modules.items():
        edges = set()
        for node in top_level_imports(tree):
            for target in imported_names(module, path.name == "__init__.py", node, modules):
                while target not in modules and "." in target:
                    target = target.rsplit(".", 1)[0]  # a name inside a module: the module
                edges.add(target)
                # Importing a.b.c runs a/__init__ and a/b/__init__ first (the root package,
                # which every module sits in, and the module's own packages aside).
                package = target.rsplit(".", 1)[0]
                while "." in package:
                    if not (module == package or module.startswith(package + ".")):
                        edges.add(package)
                    package = package.rsplit(".", 1)[0]
        edges.discard(module)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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
    return found


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e2"}, "e2": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"x": {"y"}, "y": set()}) == []


def test_no_import_cycle_among_sxflow_modules():
    modules = source_modules()
    graph = import_graph(modules)
    assert "sxflow.lexical" in graph["sxflow.reader"]  # the graph sees the real imports
    found = cycles(graph)
    described = ["; ".join(f"{module} -> {sorted(graph[module] & set(cycle))}" for module in cycle)
                 for cycle in found]
    assert not found, "import cycles: " + " | ".join(described)


def function_level_imports(tree: ast.Module):
    """(function name, import node) for every import inside a function body."""
    def walk(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if function is not None and isinstance(child, (ast.Import, ast.ImportFrom)):
                yield function, child
            yield from walk(child, inner)

    yield from walk(tree, None)


def test_functions_import_only_optional_modules():
    problems = []
    for module, (path, tree) in source_modules().items():
        for function, node in function_level_imports(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                names = ["." * node.level + (node.module or "")]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module]
            else:
                names = [alias.name for alias in node.names]
            for name in names:
                if module == DEFERRED_IMPORTER and not name.startswith("."):
                    continue  # absolute imports only there: `from . import x` would ask sxflow.__getattr__
                if name.startswith(".") or name.split(".")[0] == "sxflow":
                    problems.append(f"{module}.{function} (line {node.lineno}) imports the sxflow module {name}")
                elif name.split(".")[0] not in FUNCTION_LEVEL_ALLOWED:
                    problems.append(f"{module}.{function} (line {node.lineno}) imports {name}: import it at the top")
    assert not problems, "\n".join(problems)


def test_no_dynamic_import_of_sxflow_modules():
    """importlib or __import__ would hide an import from the two tests above."""
    for module, (path, tree) in source_modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "__import__":
                pytest.fail(f"{module} calls __import__ (line {node.lineno})")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
                assert "importlib" not in names, f"{module} imports importlib (line {node.lineno})"


def test_the_function_level_check_sees_a_bad_import():
    tree = ast.parse("import os\ndef f():\n    from .data import NIL\n    import httpx\n")
    found = [(function, type(node).__name__, node.lineno) for function, node in function_level_imports(tree)]
    assert found == [("f", "ImportFrom", 3), ("f", "Import", 4)]


def deferred_targets() -> set[str]:
    """The sxflow modules sxflow.deferred imports inside its functions."""
    path, tree = source_modules()[DEFERRED_IMPORTER]
    return {alias.name for function, node in function_level_imports(tree) if isinstance(node, ast.Import)
            for alias in node.names}


def test_the_deferred_importer_imports_what_it_defers():
    targets = deferred_targets()
    assert {"sxflow.fed", "sxflow.flow", "sxflow.ray", "sxflow.storedb"} <= targets
    assert all(target.startswith("sxflow.") and target in source_modules() for target in targets), targets


def test_cold_start_leaves_optional_modules_unimported():
    """What the allowances above are for: `import sxflow` and a first eval load none of them."""
    code = ("import sys, sxflow; sxflow.Interpreter().eval('(+ 1 2)'); "
            f"print(sorted(set({sorted(FUNCTION_LEVEL_ALLOWED)!r}) & set(sys.modules)))")
    output = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True,
                            check=True, timeout=120).stdout
    # resource is loaded when the interpreter sizes its thread's stack; the rest wait for use.
    assert output.strip() in ("[]", "['resource']"), output


def test_cold_start_leaves_deferred_modules_unimported():
    """Nor any module sxflow.deferred defers (the fed server, ray, the store...), nor the command line's."""
    unloaded = sorted(deferred_targets() | set(COLD_START_UNLOADED))
    code = ("import sys, sxflow; interp = sxflow.Interpreter(); interp.eval('(define (f x) (* x 2)) (f 21)'); "
            f"interp.keys(); print(sorted(set({unloaded!r}) & set(sys.modules)))")
    output = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True,
                            check=True, timeout=120).stdout
    assert output.strip() == "[]", output


def test_the_command_line_loads_only_what_its_command_needs():
    """`sxflow -e` (with and without the flow library) leaves the server, the HTTP client, check and repl alone."""
    unloaded = ["sxflow.fed.server", "sxflow.fed.client", "sxflow.fed.command", "sxflow.check", "sxflow.repl"]
    for options, also in ((["--no-flow"], ["sxflow.flow", "sxflow.ray", "sxflow.fed"]), ([], [])):
        code = ("import sys, sxflow.cli; status = sxflow.cli.main([*%r, '-e', '(+ 1 2)']); "
                "print(status, sorted(set(%r) & set(sys.modules)))" % (options, unloaded + also))
        output = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True,
                                check=True, timeout=120).stdout
        assert output.strip().splitlines()[-1] == "0 []", (options, output)
