"""The README's promises hold: its pages exist and its CLI commands and flags are real."""

import re
import subprocess
import sys

from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def test_every_page_in_the_readme_exists_and_is_routed() -> None:
    table = README.split("## Pages", 1)[1].split("\n\n", 2)[1]
    pages = re.findall(r"^\| (\w[\w ]*) \|", table, flags=re.M)[1:]
    router = (REPO / "app.py").read_text()
    assert pages[0] == "Overview" and "Feature drift" in pages
    for title in pages:
        assert f'title="{title}"' in router
        path = REPO / "pages" / f"{title.lower().replace(' ', '_')}.py"
        assert path.exists() and f'"pages/{path.name}"' in router


def test_every_cli_command_in_the_readme_runs_with_its_flags() -> None:
    commands = re.findall(r"python -m monitoring (\w+)([^`\n]*)", README)
    assert {name for name, _ in commands} >= {"import", "models", "demo"}
    for name, rest in commands:
        done = subprocess.run(
            [sys.executable, "-m", "monitoring", name, "--help"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        for flag in re.findall(r"--[a-z-]+", rest):
            assert flag in done.stdout, f"{name} has no {flag}"


def test_readme_screenshot_and_scripts_exist() -> None:
    for path in [*re.findall(r"\]\((docs/[\w.]+)\)", README), "scripts/run.sh", "scripts/test.sh"]:
        assert (REPO / path).exists(), path
    assert "bash .ci/run" not in README and "scripts/test.sh" in (REPO / ".ci" / "run").read_text()
