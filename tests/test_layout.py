"""The layout rules of docs/architecture.md, checked on the source tree itself, so that a change
that breaks one fails here rather than in a reviewer's head."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "registry"


def _modules(*folders: str):
    """(path relative to the package, parsed module) of every .py file under these folders."""
    for folder in folders:
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(), str(path))


def _imported(tree: ast.AST) -> set[str]:
    """Every module name an import statement in this tree names."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_pdf_package_renders_documents():
    outside = [path for path, tree in _modules(".")
               if not path.startswith("pdf/")
               and any(name.split(".")[0] == "weasyprint" for name in _imported(tree))]
    assert outside == []


def test_qr_codes_are_made_in_one_place():
    makers = [path for path, tree in _modules(".")
              if any(name.split(".")[0] == "segno" for name in _imported(tree))]
    assert makers == ["pdf/qr.py"]


def test_views_and_services_never_commit():
    committing = []
    for path, tree in _modules("views", "services"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "commit":
                committing.append(f"{path}:{node.lineno}")
    assert committing == []


def test_services_never_import_upward():
    upward = [f"{path}: {name}" for path, tree in _modules("services", "models")
              for name in _imported(tree)
              if name.startswith(("registry.forms", "registry.pdf", "registry.views",
                                  "registry.demo"))]
    assert upward == []


def test_no_module_is_loaded_from_a_name_string():
    loaders = [path for path, tree in _modules(".")
               if "importlib" in {name.split(".")[0] for name in _imported(tree)}
               or any(isinstance(node, ast.Name) and node.id == "__import__"
                      for node in ast.walk(tree))]
    assert loaders == []
