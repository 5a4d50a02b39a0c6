#!/usr/bin/env python3
"""Fail if a workspace crate depends on a crate below it in the layer order (DESIGN: strict layers).

Order (top to bottom): kaizen-field, kaizen-sumcheck, kaizen-pcs, kaizen-gkr, kaizen-nn,
kaizen-recursion, kaizen, kaizen-cli. A crate may depend only on crates before it, for every
dependency kind (normal, dev, build).
"""
import json
import subprocess
import sys

ORDER = ["kaizen-field", "kaizen-sumcheck", "kaizen-pcs", "kaizen-gkr", "kaizen-nn",
         "kaizen-recursion", "kaizen", "kaizen-cli"]

meta = json.loads(subprocess.run(
    ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
    check=True, capture_output=True, text=True).stdout)
rank = {name: i for i, name in enumerate(ORDER)}
errors = []
members = {p["name"] for p in meta["packages"]}
for missing in sorted(set(ORDER) - members):
    errors.append(f"layer crate {missing} is missing from the workspace")
for pkg in meta["packages"]:
    name = pkg["name"]
    if name not in rank:
        errors.append(f"workspace crate {name} has no place in the layer order")
        continue
    for dep in pkg["dependencies"]:
        d = dep["name"]
        if d in rank and rank[d] >= rank[name]:
            errors.append(f"{name} depends on {d} ({dep['kind'] or 'normal'}), which is not above it")
for e in errors:
    print("layering:", e)
if errors:
    sys.exit(1)
print(f"layering: ok ({len(ORDER)} crates, strict order)")
