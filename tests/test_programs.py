"""The one list of the nine programs (gantools.run.programs) and everything that must agree with
it: setup.cfg's console scripts, scripts/, the README's table, the docs pages, and the
lists keyed by program elsewhere (the results page, the fault matrix, side by side, the GPU
check's few units)."""
import configparser
import importlib
import importlib.util
import re
from pathlib import Path

from gantools.run import programs
from gantools import reproduce
from gantools.run.programs import PROGRAMS, TOOLS

ROOT = Path(__file__).resolve().parents[1]


def test_setup_cfg_installs_one_console_script_per_program_and_the_tools():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options.entry_points"]["console_scripts"].strip().splitlines()
    scripts = dict(line.replace(" ", "").split("=") for line in lines)
    assert scripts == {
        **{p.script.replace("_", "-"): "gantools.run.launch:program" for p in PROGRAMS.values()},
        "compare-original": "gantools.run.launch:compare_original",
        "reproduce-gans": "gantools.run.launch:reproduce"}
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
        assert callable(importlib.import_module(p.command).main), p.id
        page = (ROOT / "docs" / p.page).read_text()
        assert re.search(r"^Sources: .*\]\(https://", page, re.M), p.page  # the documents
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
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "bench" / "gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    assert list(reproduce.PROGRAMS) == list(TINY) == list(HARNESSES) == list(gpu_check.FEW) \
        == list(PROGRAMS)


def program_parsers():
    from conftest import program_parser
    for p in PROGRAMS.values():
        yield p, program_parser(p.id)


def test_every_flag_of_the_nine_has_help_and_shows_its_default_once():
    import argparse
    for p, parser in program_parsers():
        text = parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, (p.id, action.option_strings)
            shown = parser._get_formatter()._get_help_string(action)
            if action.default not in (None, False, argparse.SUPPRESS):
                assert "%(default)" in shown, (p.id, action.option_strings)
        blocks = text.split("\n  -")
        assert all(block.count("(default:") <= 1 for block in blocks), p.id


def test_an_abbreviated_flag_is_refused_not_guessed(capsys):
    import pytest
    for p, parser in program_parsers():
        total = "--epochs" if "--epochs" in parser._option_string_actions else "--steps"
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([total[:-1], "3"])  # --epoch, --step
        assert exit_info.value.code == 2, p.id
        assert f"unrecognized arguments: {total[:-1]} 3" in capsys.readouterr().err


def test_a_programs_command_line_answers_without_importing_tensorflow():
    """--help and a bad flag need only the command module (flags, with the port's settings
    read from its source): a process that parses them never imports TensorFlow, which takes
    seconds (bench/help_time.py measures the answer)."""
    import subprocess
    import sys
    code = ("import sys, importlib\n"
            "from gantools.run import runner\n"
            "for name in sys.argv[1:]:\n"
            "    module = importlib.import_module(name)\n"
            "    program = next(v for v in vars(module).values() if isinstance(v, type)\n"
            "                   and issubclass(v, runner.Program) and v is not runner.Program\n"
            "                   and v.__module__ == name)\n"
            "    runner.build_parser(program()).format_help()\n"
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n")
    names = [p.command for p in PROGRAMS.values()]
    result = subprocess.run([sys.executable, "-c", code, *names], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]", (names, result.stdout)


def test_the_settings_read_from_a_ports_source_are_the_ports_values():
    """cli.constants_of reads `name = literal` lines without running the module: each one
    it finds has the value the imported port holds."""
    from types import SimpleNamespace
    from gantools.run.cli import constants_of

    def check(found, held, where):
        for name, value in vars(found).items():
            if isinstance(value, SimpleNamespace):  # a class's constants
                check(value, getattr(held, name), f"{where}.{name}")
            else:
                assert getattr(held, name) == value, f"{where}.{name}"
    for p in PROGRAMS.values():
        found = constants_of(p.module)
        assert vars(found), p.id
        check(found, importlib.import_module(p.module), p.module)


def program_of(p):
    """The command line's runner.Program of `p` (the class whose script is p.script)."""
    from gantools.run import runner
    module = importlib.import_module(p.command)
    classes = [value for value in vars(module).values() if isinstance(value, type)
               and issubclass(value, runner.Program) and value.script == p.script]
    assert len(classes) == 1, p.id
    return classes[0]()


def test_each_variant_is_a_module_that_overrides_the_original_program():
    """--variant NAME runs a function of its own module, which imports the original's and
    overrides what differs; the original's module never reads the variant flag."""
    import ast
    from gantools.run import runner
    variants = 0
    for p in PROGRAMS.values():
        program = program_of(p)
        parser = runner.build_parser(program)
        source = (ROOT / (p.module.replace(".", "/") + ".py")).read_text()
        assert not any(isinstance(node, ast.Attribute) and node.attr == "variant"
                       for node in ast.walk(ast.parse(source))), p.module
        for name in program.variants:
            args = parser.parse_args(["--variant", name])
            program.check_args(parser, args)
            loop = "{}:{}".format(p.module, "main")
            module, _, function = program.loop_for(args, loop).partition(":")
            assert module != p.module and function == "main", (p.id, name)
            variant = (ROOT / (module.replace(".", "/") + ".py")).read_text()
            assert f"from {p.module.rsplit('.', 1)[0]} import {p.module.rsplit('.', 1)[1]}" \
                in variant, module  # it imports the original program and overrides it
            variants += 1
    assert variants == 3  # S1, S4, S9


def test_the_settings_read_from_a_ports_extras_are_their_values():
    """The same for the modules of what the project adds around a port (`<port>_extras`)."""
    from gantools.run.cli import constants_of
    extras = [p.module + "_extras" for p in PROGRAMS.values()
              if (ROOT / (p.module.replace(".", "/") + "_extras.py")).is_file()]
    assert len(extras) == 5  # S2, S3, S4, S5, S9
    for name in extras:
        module = importlib.import_module(name)
        for key, value in vars(constants_of(name)).items():
            assert getattr(module, key) == value, f"{name}.{key}"
