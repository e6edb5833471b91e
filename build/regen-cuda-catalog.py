#!/usr/bin/env python3
"""Regenerates src/AiContainers.Core/Data/cuda-images.json from NVIDIA's own container-images sources.

THE ONE COMMAND that refreshes the catalog (after `git clone https://gitlab.com/nvidia/container-images/cuda.git`
or any mirror of it, e.g. github.com/abyss-solutions/nvidia_container_images):

    build/regen-cuda-catalog.py --git PATH/TO/cuda-clone=gitlab.com/nvidia/container-images/cuda --reviewed $(date +%F)

Inputs, any number of each, all merged (a tag seen in any input is kept, so every patch that was ever
listed stays in the catalog; NVIDIA's supported-tags.md lists only the newest patch per minor):
  --git DIR[=NAME]        a clone of NVIDIA's container-images/cuda repository. Every commit that touched
                          doc/supported-tags.md is read (git log --all), and for every release the newest
                          dist/<version>/ubuntu<NNNN>/base/Dockerfile gives NVIDIA_REQUIRE_CUDA (per architecture)
                          and whether an arm64 (sbsa) stage exists. NAME is how rows cite it (default: DIR's name).
  --tags FILE=CITATION    a text file naming nvidia/cuda tags (a saved supported-tags.md, `skopeo list-tags
                          docker://nvidia/cuda` output); CITATION is what the rows cite (URL or repo/path@commit).
  --dockerfile FILE=CITATION  a saved dist/<version>/ubuntu<NNNN>/base/Dockerfile (for a release no clone has).
  --reviewed YYYY-MM-DD   the review date the README, the build summary and the staleness test show.
  --min-version X.Y       oldest CUDA minor kept (default 11.4).
  --out FILE              write there instead of the embedded catalog (the round-trip test uses it).

Every `<x.y.z>-[cudnn[N]-]{base|runtime|devel}-ubuntu<ver>` tag is read; each release keeps the Ubuntu
releases, the cuDNN majors and their tag spelling (`cudnn8`, `cudnn9`, or plain `cudnn` = cuDNN 9 from
12.4.1), the first source that listed it, the Dockerfile it took NVIDIA_REQUIRE_CUDA from, and the Ubuntu
releases with an arm64 image (null: no Dockerfile found, so unknown). The minimum drivers, the default
version, tagFormat and the source note are kept from the current file, and so is a row whose source begins
"not confirmed from NVIDIA's tag list" (a release taken from images seen in use) until an input lists it.
Review the diff before committing.
"""
import argparse, json, os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
catalog_path = os.path.join(root, "src/AiContainers.Core/Data/cuda-images.json")
TAG = re.compile(r"\b(\d+\.\d+\.\d+)-(?:(cudnn\d*)-)?(base|runtime|devel)-(ubuntu\d+\.\d+)\b")
REQUIRE = re.compile(r'ENV NVIDIA_REQUIRE_CUDA[= ]"([^"]*)"')

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--git", action="append", default=[])
parser.add_argument("--tags", action="append", default=[])
parser.add_argument("--dockerfile", action="append", default=[])
parser.add_argument("--reviewed")
parser.add_argument("--min-version", default="11.4")
parser.add_argument("--out", default=catalog_path)
args = parser.parse_args()
if not (args.git or args.tags):
    parser.error("give at least one --git or --tags input")
min_version = tuple(int(x) for x in args.min_version.split("."))


def git(repo, *command):
    return subprocess.run(["git", "-C", repo, *command], check=True, capture_output=True, text=True).stdout


def split(spec):
    path, _, citation = spec.partition("=")
    return path, citation


def os_key(name):
    return tuple(int(x) for x in name.replace("ubuntu", "").split("."))


releases = {}


def read_tags(text, citation):
    for version, cudnn, _flavor, os_name in TAG.findall(text):
        key = tuple(int(x) for x in version.split("."))
        if key[:2] < min_version:
            continue
        entry = releases.setdefault(key, {"version": version, "os": set(), "cudnn": {}, "arm64": None,
                                          "requireCuda": None, "requireCudaArm64": None,
                                          "tagsSource": citation, "dockerfileSource": None})
        if cudnn:
            major = cudnn[5:] or "9"  # plain "cudnn" tags carry cuDNN 9
            entry["cudnn"].setdefault(major, {"tag": cudnn, "os": set()})["os"].add(os_name)
        else:
            entry["os"].add(os_name)


def read_dockerfile(text, entry, os_name, citation):
    """A base Dockerfile has one stage per architecture (base-amd64, base-arm64), each setting NVIDIA_REQUIRE_CUDA."""
    stages = re.split(r"(?im)^FROM base as base-", text)
    by_arch = {}
    for stage in stages[1:]:
        arch = stage.split(None, 1)[0]
        match = REQUIRE.search(stage)
        by_arch[arch] = match.group(1) if match else None
    if not by_arch:  # single-architecture Dockerfile
        match = REQUIRE.search(text)
        by_arch["amd64"] = match.group(1) if match else None
    if entry["requireCuda"] is None and by_arch.get("amd64"):
        entry["requireCuda"] = by_arch["amd64"]
        if by_arch.get("arm64") and by_arch["arm64"] != by_arch["amd64"]:
            entry["requireCudaArm64"] = by_arch["arm64"]
        entry["dockerfileSource"] = citation
    entry["arm64"] = entry["arm64"] or set()
    if "arm64" in by_arch:
        entry["arm64"].add(os_name)


for spec in args.tags:
    path, citation = split(spec)
    read_tags(open(path, encoding="utf-8").read(), citation or path)

for spec in args.git:
    repo, name = split(spec)
    name = name or os.path.basename(os.path.abspath(repo))
    # Oldest first, so each row cites the first commit that listed it.
    for commit in reversed(git(repo, "log", "--all", "--format=%H", "--", "doc/supported-tags.md").split()):
        try:
            text = git(repo, "show", f"{commit}:doc/supported-tags.md")
        except subprocess.CalledProcessError:
            continue
        read_tags(text, f"{name}@{commit}:doc/supported-tags.md")

for spec in args.dockerfile:
    path, citation = split(spec)
    text = open(path, encoding="utf-8").read()
    version = re.search(r"ENV CUDA_VERSION[= ]([\d.]+)", text).group(1)
    ubuntu = re.search(r"^FROM ubuntu:(\d+\.\d+)", text, re.M).group(1)
    entry = releases.get(tuple(int(x) for x in version.split(".")))
    if entry is not None:
        read_dockerfile(text, entry, "ubuntu" + ubuntu, citation or path)

for spec in args.git:
    repo, name = split(spec)
    name = name or os.path.basename(os.path.abspath(repo))
    for entry in releases.values():
        for os_name in sorted(entry["os"] | {o for v in entry["cudnn"].values() for o in v["os"]}, key=os_key):
            for folder in (os_name.replace(".", ""), os_name):  # dist/12.8.1/ubuntu2404 and older dist/11.8.0/ubuntu22.04
                path = f"dist/{entry['version']}/{folder}/base/Dockerfile"
                commit = git(repo, "log", "--all", "-1", "--diff-filter=AM", "--format=%H", "--", path).strip()  # not the commit that deleted it
                if commit:
                    read_dockerfile(git(repo, "show", f"{commit}:{path}"), entry, os_name, f"{name}@{commit}:{path}")
                    break

current = json.load(open(catalog_path, encoding="utf-8"))
if args.reviewed:
    current["reviewed"] = args.reviewed
rows = []
for _, e in sorted(releases.items()):
    row = {"version": e["version"], "os": sorted(e["os"], key=os_key),
           "cudnn": {m: {"tag": v["tag"], "os": sorted(v["os"], key=os_key)} for m, v in sorted(e["cudnn"].items())},
           "arm64": None if e["arm64"] is None else sorted(e["arm64"], key=os_key),
           "source": e["tagsSource"]}
    if e["requireCuda"]:
        row["requireCuda"] = e["requireCuda"]
        if e["requireCudaArm64"]:
            row["requireCudaArm64"] = e["requireCudaArm64"]
        row["requireCudaSource"] = e["dockerfileSource"]
    rows.append(row)

# A row taken from images seen in use (its source says "not confirmed from NVIDIA's tag list …") stays until an
# input lists that version; then the row above, citing NVIDIA's list, replaces it.
UNCONFIRMED = "not confirmed from NVIDIA's tag list"
listed = {r["version"] for r in rows}
for old in current["releases"]:
    if old["source"].startswith(UNCONFIRMED) and old["version"] not in listed:
        print(f"kept {old['version']}: no input lists it; its row still says it is not confirmed", file=sys.stderr)
        rows.append(old)
rows.sort(key=lambda r: tuple(int(x) for x in r["version"].split(".")))

with open(args.out, "w", encoding="utf-8") as f:
    f.write("{\n")
    for k in ("source", "reviewed", "refresh", "tagFormat", "defaultVersion"):
        f.write(f'  "{k}": {json.dumps(current[k])},\n')
    f.write('  "minDriver": [\n' + ",\n".join("    " + json.dumps(m) for m in current["minDriver"]) + "\n  ],\n")
    f.write('  "releases": [\n' + ",\n".join("    " + json.dumps(r) for r in rows) + "\n  ]\n}\n")
print(f"{args.out}: {len(rows)} releases")
