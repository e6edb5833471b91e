#!/usr/bin/env python3
"""Regenerates src/AiContainers.Core/Data/cuda-images.json from NVIDIA's tag list.

usage: build/regen-cuda-catalog.py SUPPORTED_TAGS [--min-version 11.4]

SUPPORTED_TAGS is a text file that names nvidia/cuda tags, e.g. a saved copy of
https://gitlab.com/nvidia/container-images/cuda/-/blob/master/doc/supported-tags.md or the output of
`skopeo list-tags docker://nvidia/cuda`. Every `<x.y.z>-[cudnn[N]-]{base|runtime|devel}-ubuntu<ver>`
tag is read; the catalog keeps the Ubuntu releases, the cuDNN majors and their tag spelling
(`cudnn8`, `cudnn9`, or plain `cudnn` = cuDNN 9 from 12.4.1). The minimum drivers, the default
version and the source note are kept from the current file. Review the diff before committing.
"""
import json, os, re, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
catalog_path = os.path.join(root, "src/AiContainers.Core/Data/cuda-images.json")
if len(sys.argv) < 2:
    sys.exit(__doc__)
text = open(sys.argv[1], encoding="utf-8").read()
min_version = tuple(int(x) for x in (sys.argv[sys.argv.index("--min-version") + 1] if "--min-version" in sys.argv else "11.4").split("."))

releases = {}
for version, cudnn, flavor, os_name in re.findall(r"\b(\d+\.\d+\.\d+)-(?:(cudnn\d*)-)?(base|runtime|devel)-(ubuntu\d+\.\d+)\b", text):
    key = tuple(int(x) for x in version.split("."))
    if key[:2] < min_version:
        continue
    entry = releases.setdefault(key, {"version": version, "os": set(), "cudnn": {}})
    if cudnn:
        major = cudnn[5:] or "9"  # plain "cudnn" tags carry cuDNN 9
        variant = entry["cudnn"].setdefault(major, {"tag": cudnn, "os": set()})
        variant["os"].add(os_name)
    else:
        entry["os"].add(os_name)

def os_key(name):
    return tuple(int(x) for x in name.replace("ubuntu", "").split("."))

current = json.load(open(catalog_path, encoding="utf-8"))
current["releases"] = [
    {"version": e["version"], "os": sorted(e["os"], key=os_key),
     "cudnn": {m: {"tag": v["tag"], "os": sorted(v["os"], key=os_key)} for m, v in sorted(e["cudnn"].items())}}
    for _, e in sorted(releases.items())
]
with open(catalog_path, "w", encoding="utf-8") as f:
    f.write("{\n")
    for k in ("source", "tagFormat", "defaultVersion"):
        f.write(f'  "{k}": {json.dumps(current[k])},\n')
    f.write('  "minDriver": [\n' + ",\n".join("    " + json.dumps(m) for m in current["minDriver"]) + "\n  ],\n")
    f.write('  "releases": [\n' + ",\n".join("    " + json.dumps(r) for r in current["releases"]) + "\n  ]\n}\n")
print(f"{catalog_path}: {len(current['releases'])} releases")
