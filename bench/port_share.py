"""How much of each port module is its original's code (issue 23), now or at a git revision.

For every program of gantools.run.programs: the port module's lines, its code lines (not
blank, not a comment, not in a docstring), and two shares of those code lines:
- verbatim: the line's text (spaces collapsed) is a code line of the original's rendition
  in originals/ (a lower bound: a translation from PyTorch or Keras 2 rarely keeps a
  line's text);
- close: difflib.get_close_matches, with its default cutoff 0.6, finds the line among the
  rendition's code lines (the original's line translated with its names kept);
- translated: close, or the line's words (its names, numbers and strings, without Python's
  keywords and builtins, the frameworks' module names and one-letter names; case and
  underscores ignored; the few class names that differ between the frameworks, TRANSLATED,
  read as one) are at least half shared with one line of the rendition, two words or more
  and not only 0, 1 or 2 (`layers.Conv2DTranspose(out_channel, kernel_size, stride, ...)`
  for `nn.ConvTranspose2d(in_channel, out_channel, kernel_size, stride, padding, ...)`).
Lines such as `)` or `else:` count for none. None credits a step written in the other
framework's words (a GradientTape step for backward() and step()). As a control, the
project's own modules beside a port (its `_extras` module, the runner) are measured against
the same rendition: what `translated` credits to code that ports nothing (`--control`).

    python bench/port_share.py                  # the working tree
    python bench/port_share.py --base REV       # REV beside the working tree
    python bench/port_share.py --misses S2      # S2's code lines that count for none
    python bench/port_share.py --control        # the control: non-port modules
"""
import argparse
import ast
import builtins
import difflib
import keyword
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gantools.run.programs import PROGRAMS  # noqa: E402

TRIVIAL = re.compile(r"^[\)\]\}]+[,:]?$|^(else|try|finally):$|^return$|^pass$")
MOVED = {"tf1_compat/mnist_common.py": "tf1_compat/mnist_training.py"}  # its former name
WORD = re.compile(r"[A-Za-z_]\w*|\d+\.?\d*(?:e-?\d+)?|\.\d+(?:e-?\d+)?|'[^']*'|\"[^\"]*\"")
NOT_WORDS = set(keyword.kwlist) | set(dir(builtins)) | {
    "self", "cls", "tf", "torch", "nn", "F", "keras", "layers", "K", "np", "functools"}
TRANSLATED = {"convtranspose2d": "conv2dtranspose", "batchnorm2d": "batchnormalization",
              "linear": "dense", "lr": "learningrate"}  # PyTorch / Keras 2 -> Keras 3
SMALL = {"0", "1", "2", "0.", "1.", "0.0", "1.0"}
CONTROLS = ["gantools/run/runner.py"]  # and each port's _extras module


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


def words(line):
    """The set of a code line's words that can tell what it ports (see the docstring)."""
    found = set()
    for word in WORD.findall(line):
        word = word.strip("'\"")
        if not word or word in NOT_WORDS or (len(word) == 1 and word.isalpha()):
            continue
        word = word.lower().replace("_", "")
        found.add(TRANSLATED.get(word, word))
    return found


def translates(line_words, original_words):
    """Whether a line with these words translates a line with those."""
    shared = line_words & original_words
    return (len(shared) >= 2 and 2 * len(shared) >= len(line_words)
            and not shared <= SMALL)


def share(port_text, original_texts):
    """(code lines, verbatim, close, translated, the lines that count for none) of a port
    module."""
    original = [line for text in original_texts for line in code_lines(text).values()
                if not TRIVIAL.match(line)]
    exact = set(original)
    original_words = [words(line) for line in original]
    verbatim = close = translated = 0
    misses = []
    lines = code_lines(port_text)
    for number, line in lines.items():
        if TRIVIAL.match(line):
            misses.append((number, line))
        elif line in exact:
            verbatim += 1
            close += 1
            translated += 1
        elif difflib.get_close_matches(line, original, n=1):
            close += 1
            translated += 1
        elif any(translates(words(line), other) for other in original_words):
            translated += 1
        else:
            misses.append((number, line))
    return len(lines), verbatim, close, translated, misses


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
        count, verbatim, close, translated, misses = share(
            text, [read(r, revision) for r in renditions])
        rows[name] = dict(module=port, lines=len(text.splitlines()), code_lines=count,
                          verbatim=verbatim, close=close, translated=translated,
                          misses=misses)
    return rows


def control():
    """{program: {module: translated share}}: the project's modules that port nothing (the
    port's _extras module, where it has one, and CONTROLS) measured as if they were ports."""
    rows = {}
    for name, port, renditions in modules():
        originals = [read(r) for r in renditions]
        others = [port.replace(".py", "_extras.py")] + CONTROLS
        rows[name] = {}
        for other in others:
            if (ROOT / other).is_file():
                count, _, _, translated, _ = share(read(other), originals)
                rows[name][other] = translated / count
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", metavar="REV", help="also measure this git revision")
    parser.add_argument("--misses", metavar="ID", choices=[name for name, _, _ in modules()],
                        help="list this module's lines that count for none (S1 ... S9, 'S6-S8 shared')")
    parser.add_argument("--control", action="store_true",
                        help="measure the modules that port nothing against each rendition")
    args = parser.parse_args(argv)
    if args.control:
        print("| program | module (ports nothing) | translated |")
        print("|---|---|---|")
        for name, others in control().items():
            for other, fraction in others.items():
                print(f"| {name} | `{other}` | {fraction:.0%} |")
        return 0
    now = measure()
    if args.misses:
        for number, line in now[args.misses]["misses"]:
            print(f"{number:5d}  {line}")
        return 0
    cell = lambda r: (f"{r['lines']} / {r['code_lines']} / {r['verbatim'] / r['code_lines']:.0%}"
                      f" / {r['close'] / r['code_lines']:.0%}"
                      f" / {r['translated'] / r['code_lines']:.0%}")
    columns = "lines / code lines / verbatim / close / translated"
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
