"""A griffe extension for the API reference: stkeras' docstrings write their
doctests flush under `Example:`; this indents them so that griffe's Google
parser reads them as an Examples section (under `Examples:`) (rendered as code), not as prose."""

import re

import griffe

_HEADER = re.compile(r"^(\s*)Examples?:\s*$")


def indent_examples(text):
    lines = text.splitlines()
    out = []
    inside = None
    for line in lines:
        if inside is not None:
            if not line.strip():
                inside = None
            elif len(line) - len(line.lstrip()) <= inside:
                line = " " * (inside + 4) + line[inside:]
        else:
            match = _HEADER.match(line)
            if match:
                inside = len(match.group(1))
                line = match.group(1) + "Examples:"  # griffe's Examples section: doctests shown as code
        out.append(line)
    return "\n".join(out)


class DoctestExamples(griffe.Extension):
    def on_object(self, *, obj, loader, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = indent_examples(obj.docstring.value)
            obj.docstring.__dict__.pop("parsed", None)  # parsed again from the new text
