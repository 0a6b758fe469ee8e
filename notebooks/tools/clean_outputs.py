"""Tidies executed notebooks in place so that their committed outputs read well on GitHub.

- strips ANSI colour codes (the rapaio kernel colours its magics' messages and error traces);
- folds the kernel's one-line-per-entry "Add <path> to classpath" messages of ``%jar`` and
  ``%classpath`` into one line, which also keeps this machine's absolute paths out of the
  committed notebooks;
- writes paths under the project folder as seen from notebooks/ (``/home/me/xent4j/datasets``
  becomes ``../datasets``), so outputs do not depend on where the project was checked out;
- drops the execution timing metadata, so re-running a notebook only changes real outputs.

Usage: clean_outputs.py NOTEBOOK.ipynb...   (prints each notebook's size and image count)
"""
import os
import re
import sys

import nbformat

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ADD = re.compile(r"^Add (.+) to classpath$")


def text_of(value):
    return "".join(value) if isinstance(value, list) else value


def fold_classpath_lines(text):
    out, added = [], []
    for line in text.split("\n"):
        m = ADD.match(line.strip())
        if m:
            added.append(m.group(1))
        else:
            out.append(line)
    if not added:
        return text
    jars = sum(1 for a in added if a.endswith(".jar"))
    folders = len(added) - jars
    parts = ([f"{jars} jars"] if jars else []) + ([f"{folders} class folders"] if folders else [])
    summary = "Added " + " and ".join(parts) + " to the classpath."
    # keep the kernel's "Found N jar files." line first, then the summary
    out = [line for line in out if line.strip()]
    return "\n".join(out + [summary]) + "\n"


PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def relative_paths(text):
    return text.replace(PROJECT + os.sep, ".." + os.sep)


def clean(path):
    nb = nbformat.read(path, as_version=4)
    images = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                out.text = relative_paths(fold_classpath_lines(ANSI.sub("", text_of(out.text))))
            elif out.output_type == "error":
                out.traceback = [relative_paths(ANSI.sub("", line)) for line in out.traceback]
                out.evalue = relative_paths(ANSI.sub("", out.evalue))
            if "data" in out:
                images += sum(1 for k in out.data if k.startswith("image/"))
                for mime in ("text/plain", "text/html"):
                    if mime in out.data:
                        out.data[mime] = ANSI.sub("", text_of(out.data[mime]))
    nbformat.write(nb, path)
    with open(path, "rb") as f:
        size = len(f.read())
    print(f"  {path}: {size / 1024:.0f} KiB, {images} images")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        clean(p)
