#!/usr/bin/env python3
"""Rewrites the error-code table in README.md from src/AiContainers.Core/Diagnostics/AiErrors*.cs.

The table sits between the markers <!-- error-codes:begin --> and <!-- error-codes:end -->; a test
(SpecValidationTests.Every_code_is_unique_well_formed_and_in_the_readme) fails when a code is missing.
"""
import glob, os, re

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rows = []
for path in sorted(glob.glob(os.path.join(root, "src/AiContainers.Core/Diagnostics/AiErrors*.cs"))):
    for m in re.finditer(r'(\w+) = ([EW])\("(AIC\d+)", "(.*?)"\);', open(path, encoding="utf-8").read()):
        _, sev, code, fmt = m.groups()
        text = re.sub(r"\{\d\}", "…", fmt).replace("|", "\\|").replace("{{", "{").replace("}}", "}")
        rows.append((code, "error" if sev == "E" else "warning", text))
table = "| code | kind | message (… is filled in) |\n|---|---|---|\n" + "".join(f"| {c} | {s} | {t}. |\n" for c, s, t in sorted(rows))
readme = os.path.join(root, "README.md")
text = open(readme, encoding="utf-8").read()
begin, end = "<!-- error-codes:begin -->\n", "<!-- error-codes:end -->"
start, stop = text.index(begin) + len(begin), text.index(end)
open(readme, "w", encoding="utf-8").write(text[:start] + table + text[stop:])
print(f"README.md: {len(rows)} error codes")
