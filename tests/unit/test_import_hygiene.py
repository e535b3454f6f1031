"""The library never imports streamlit: it must run headless, in cron jobs and pipelines."""

import ast
import subprocess
import sys

from tests.conftest import REPO


def test_no_module_of_monitoring_mentions_streamlit_in_an_import() -> None:
    offenders = []
    for path in sorted((REPO / "monitoring").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "streamlit"]
    assert offenders == []


def test_importing_every_module_loads_no_streamlit() -> None:
    modules = sorted(
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for p in (REPO / "monitoring").rglob("*.py")
        if p.stem != "__main__"
    )
    assert len(modules) > 40  # every subpackage is walked
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
