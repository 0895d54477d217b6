#!/usr/bin/python3
"""Regenerates the parameter documentation from the program's own parameter tables: the whole
docs/scenario-reference.md, and the table between `<!-- parameters:begin -->` and
`<!-- parameters:end -->` of each module's page docs/models/<type>.md (created with a stub to
fill in when a module has no page yet). The suite checks both are up to date.

Usage: scripts/update_reference.py [BINARY]     (default: build/release/recoverysim)
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARY = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "release" / "recoverysim")
BEGIN, END = "<!-- parameters:begin -->\n", "<!-- parameters:end -->"


def schema(*args):
    return subprocess.run([BINARY, "schema", "--format", "markdown", *args], capture_output=True, text=True,
                          check=True).stdout


def module_types():
    # The --module option lists the registry's types in its help: {a,b,c}.
    text = subprocess.run([BINARY, "schema", "--help"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"--module TEXT:\{([^}]*)\}", text)
    if not match:
        sys.exit("update_reference: cannot find the module types in `recoverysim schema --help`")
    return match.group(1).split(",")


def main():
    reference = ROOT / "docs" / "scenario-reference.md"
    reference.write_text(schema())
    print(f"wrote {reference.relative_to(ROOT)}")
    for module in module_types():
        page = ROOT / "docs" / "models" / f"{module}.md"
        table = schema("--module", module)
        if not page.exists():
            page.write_text(f"# {module}\n\nWhat the programme is, who it serves, what it does each day, and its "
                            f"effects on each channel (docs/extending.md).\n\n## Parameters\n\n{BEGIN}{table}{END}\n")
            print(f"wrote {page.relative_to(ROOT)} (a stub: describe the module there)")
            continue
        text = page.read_text()
        begin, end = text.find(BEGIN), text.find(END)
        if begin < 0 or end < begin:
            sys.exit(f"update_reference: {page}: expected the markers {BEGIN.strip()} and {END}")
        page.write_text(text[:begin + len(BEGIN)] + table + text[end:])
        print(f"updated the parameter table of {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
