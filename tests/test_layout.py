"""The house's rule: imports run one way,

    common ← retail ← offline_exchange ← {equipment_service, backoffice} ← {config, bench}

A module that needs something from a layer above it (or from its sibling) is in the wrong place. The
check reads the source (every import, at module level or inside a function), so an import tucked into
a function to dodge a cycle counts too; such an import is allowed only with a comment saying why.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each package may import from the project (besides itself).
ALLOWED = {
    "common": set(),
    "retail": {"common"},
    "offline_exchange": {"common", "retail"},
    "equipment_service": {"common", "retail", "offline_exchange"},
    "backoffice": {"common", "retail", "offline_exchange"},
    "config": {"common", "retail", "offline_exchange", "equipment_service", "backoffice"},
    "bench": {"common", "retail", "offline_exchange", "equipment_service", "backoffice"},
}
FUNCTION_LEVEL_LIMIT = 10


def _imports(path: Path):
    """(line, imported module, inside a function) for every import of the project's packages."""
    tree = ast.parse(path.read_text(), str(path))
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    package = path.relative_to(ROOT).parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                base = ".".join(package[:len(package) - node.level + 1] + ((base,) if base else ()))
            modules = [base]
        else:
            continue
        for module in modules:
            if module.split(".")[0] in ALLOWED:
                yield node.lineno, module, id(node) in inside


def _sources():
    for package in ALLOWED:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_the_layers_exist():
    assert all((ROOT / package / "__init__.py").exists() for package in ALLOWED)


def test_imports_run_one_way():
    wrong = []
    for path in _sources():
        own = path.relative_to(ROOT).parts[0]
        for line, module, _ in _imports(path):
            target = module.split(".")[0]
            if target != own and target not in ALLOWED[own]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_function_level_imports_are_few_and_explained():
    found, unexplained = [], []
    for path in _sources():
        lines = path.read_text().splitlines()
        for line, module, in_function in _imports(path):
            if not in_function:
                continue
            found.append(f"{path.relative_to(ROOT)}:{line} {module}")
            # The reason stands on the import's line or in the comment lines right above it.
            above = lines[max(0, line - 4):line]
            if not any("#" in text for text in above):
                unexplained.append(found[-1])
    assert len(found) <= FUNCTION_LEVEL_LIMIT, "\n".join(found)
    assert not unexplained, "function-level imports without a comment saying why:\n" + "\n".join(unexplained)


@pytest.mark.parametrize("package", ["common"])
def test_common_needs_no_django(package):
    """The leaves are plain Python: the parser, money, the Russian words are testable without settings."""
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(name.split(".")[0] == "django" for name in names), path
