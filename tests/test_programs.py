"""The one list of the nine programs (gantools.programs) and everything that must agree with
it: setup.cfg's console scripts, scripts/, the README's table, the docs pages, and the
lists keyed by program elsewhere (the results page, the fault matrix, side by side)."""
import configparser
import importlib
import re
from pathlib import Path

from gantools import programs, reproduce
from gantools.programs import PROGRAMS, TOOLS

ROOT = Path(__file__).resolve().parents[1]


def test_setup_cfg_installs_one_console_script_per_program_and_the_tools():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options.entry_points"]["console_scripts"].strip().splitlines()
    scripts = dict(line.replace(" ", "").split("=") for line in lines)
    assert scripts == {
        **{p.script.replace("_", "-"): "gantools.launch:program" for p in PROGRAMS.values()},
        "compare-original": "gantools.launch:compare_original",
        "reproduce-gans": "gantools.launch:reproduce"}
    assert set(TOOLS) == {"compare-original", "reproduce-gans"}


def test_scripts_folder_holds_one_script_per_program_and_the_tools():
    found = {path.stem for path in (ROOT / "scripts").glob("*.py")}
    assert found == {p.script for p in PROGRAMS.values()} | {"compare_original", "reproduce"}
    for p in PROGRAMS.values():
        assert "sys.exit(program())" in (ROOT / "scripts" / f"{p.script}.py").read_text()
        assert programs.by_script(f"{p.script}.py") is p
        assert programs.by_script(p.script.replace("_", "-")) is p
    assert programs.by_script("reproduce.py") is None


def test_each_program_has_a_module_with_main_a_page_and_a_harness():
    for p in PROGRAMS.values():
        assert callable(importlib.import_module(p.module).main), p.id
        assert (ROOT / "docs" / p.page).is_file(), p.page
        assert (ROOT / "sidebyside" / f"{p.id.lower()}.py").is_file(), p.id
        assert p.data in (None, "mnist", "faces")


def test_the_readme_table_lists_every_program_with_its_script_and_page():
    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if re.match(r"\| S\d \|", line)][:9]
    assert [row.split("|")[1].strip() for row in rows] == list(PROGRAMS)
    for row, p in zip(rows, PROGRAMS.values()):
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        assert cells[2] == p.seed and cells[3] == p.module.split(".")[0], row
        assert cells[4] == f"`scripts/{p.script}.py`", row
        assert cells[5] == f"[{p.id}](docs/{p.page})", row


def test_the_lists_keyed_by_program_cover_exactly_the_nine():
    from sidebyside import PROGRAMS as HARNESSES
    from test_contract import TINY
    assert list(reproduce.PROGRAMS) == list(TINY) == list(HARNESSES) == list(PROGRAMS)
