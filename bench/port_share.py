"""How much of each port module is its original's code (issue 23), now or at a git revision.

For every program of gantools.run.programs: the port module's lines, its code lines (not
blank, not a comment, not in a docstring), and two shares of those code lines:
- verbatim: the line's text (spaces collapsed) is a code line of the original's rendition
  in originals/ (a lower bound: a translation from PyTorch or Keras 2 rarely keeps a
  line's text);
- close: difflib.get_close_matches, with its default cutoff 0.6, finds the line among the
  rendition's code lines (the original's line translated with its names kept).
Lines such as `)` or `else:` count for neither. Neither measure credits a translated line
whose text changed more than that (a Keras layer for a PyTorch module, a GradientTape step
for backward() and step()): for the PyTorch ports (S2, S4, S5) both are lower bounds.

    python bench/port_share.py                  # the working tree
    python bench/port_share.py --base REV       # REV beside the working tree
    python bench/port_share.py --misses S2      # S2's code lines that count for neither
"""
import argparse
import ast
import difflib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gantools.run.programs import PROGRAMS  # noqa: E402

TRIVIAL = re.compile(r"^[\)\]\}]+[,:]?$|^(else|try|finally):$|^return$|^pass$")
MOVED = {"tf1_compat/mnist_common.py": "tf1_compat/mnist_training.py"}  # its former name


def code_lines(text):
    """{line number: text with spaces collapsed} of the code lines of a Python source."""
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    lines = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = re.sub(r"\s+", " ", line.strip())
        if line and not line.startswith("#") and number not in docstrings:
            lines[number] = re.sub(r"\s+#.*$", "", line)
    return lines


def share(port_text, original_texts):
    """(code lines, verbatim, close, the lines that count for neither) of a port module."""
    original = [line for text in original_texts for line in code_lines(text).values()
                if not TRIVIAL.match(line)]
    exact = set(original)
    verbatim = close = 0
    misses = []
    lines = code_lines(port_text)
    for number, line in lines.items():
        if TRIVIAL.match(line):
            misses.append((number, line))
        elif line in exact:
            verbatim += 1
            close += 1
        elif difflib.get_close_matches(line, original, n=1):
            close += 1
        else:
            misses.append((number, line))
    return len(lines), verbatim, close, misses


def modules():
    """(name, port module path, rendition paths): the nine, and S6-S8's shared helpers."""
    path = lambda module: module.replace(".", "/") + ".py"
    rows = [(p.id, path(p.module), [path(p.rendition)]) for p in PROGRAMS.values()]
    mnist = [path(PROGRAMS[i].rendition) for i in ("S6", "S7", "S8")]
    return rows + [("S6-S8 shared", "tf1_compat/mnist_common.py", mnist)]


def read(path, revision=None):
    if revision is None:
        return (ROOT / path).read_text()
    for candidate in (path, MOVED.get(path, path)):
        shown = subprocess.run(["git", "show", f"{revision}:{candidate}"], cwd=ROOT,
                               capture_output=True, text=True)
        if shown.returncode == 0:
            return shown.stdout
    raise SystemExit(f"port_share.py: error: {path} is not in {revision}")


def measure(revision=None):
    rows = {}
    for name, port, renditions in modules():
        text = read(port, revision)
        count, verbatim, close, misses = share(text, [read(r, revision) for r in renditions])
        rows[name] = dict(module=port, lines=len(text.splitlines()), code_lines=count,
                          verbatim=verbatim, close=close, misses=misses)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", metavar="REV", help="also measure this git revision")
    parser.add_argument("--misses", metavar="ID", choices=[name for name, _, _ in modules()],
                        help="list this module's unmatched lines (S1 ... S9, 'S6-S8 shared')")
    args = parser.parse_args(argv)
    now = measure()
    if args.misses:
        for number, line in now[args.misses]["misses"]:
            print(f"{number:5d}  {line}")
        return 0
    cell = lambda r: (f"{r['lines']} / {r['code_lines']} / {r['verbatim'] / r['code_lines']:.0%}"
                      f" / {r['close'] / r['code_lines']:.0%}")
    columns = "lines / code lines / verbatim / close"
    before = measure(args.base) if args.base else None
    heads = ([f"{args.base}: {columns}"] if before else []) + [columns]
    print("| program | module | " + " | ".join(heads) + " |")
    print("|---|---|" + "---|" * len(heads))
    for name, row in now.items():
        cells = ([cell(before[name])] if before else []) + [cell(row)]
        print(f"| {name} | `{row['module']}` | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
