"""How many Slurm submissions a profile makes of a DAG: rule jobs versus sbatch calls.

    snakemake all --dag --profile profiles/perlmutter [--configfile ...] > dag.dot
    python tests/slurm/plan_submissions.py dag.dot profiles/perlmutter/config.yaml

Reads the job graph (``--dag`` output: one node per rule job, labelled with its rule) and
the profile's ``groups``, ``group-components`` and ``slurm-array-jobs``, and counts as the
executor plugin submits when every job is ready: a rule in ``slurm-array-jobs`` is one
array job; a group's jobs that feed each other form one component, and
``group-components`` of them share a Slurm job; any other rule job is one Slurm job (the
target rule ``all`` runs locally). An upper bound on packing: components that become ready
at different times go in separate submissions.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter, defaultdict

import yaml

NODE = re.compile(r'^\s*(\d+)\[label = "([^"]+)"')
EDGE = re.compile(r"^\s*(\d+) -> (\d+)")
LOCAL_RULES = {"all"}


def read_dag(path: str) -> tuple[dict[int, str], list[tuple[int, int]]]:
    nodes, edges = {}, []
    with open(path) as dot:
        for line in dot:
            if match := NODE.match(line):
                nodes[int(match[1])] = match[2].split("\\n")[0]
            elif match := EDGE.match(line):
                edges.append((int(match[1]), int(match[2])))
    return nodes, edges


def group_components(nodes, edges, groups) -> dict[str, int]:
    """Connected components of each group's jobs (edges between jobs of the same group)."""
    parent = {n: n for n in nodes}

    def root(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        if a in nodes and b in nodes and groups.get(nodes[a]) is not None and groups.get(nodes[a]) == groups.get(nodes[b]):
            parent[root(a)] = root(b)
    components = defaultdict(set)
    for n, rule in nodes.items():
        if rule in groups:
            components[groups[rule]].add(root(n))
    return {group: len(roots) for group, roots in components.items()}


def plan(dag: str, profile: str) -> dict:
    nodes, edges = read_dag(dag)
    settings = yaml.safe_load(open(profile))
    groups = settings.get("groups", {})
    per_job = settings.get("group-components", {})
    arrays = set(str(settings.get("slurm-array-jobs", "")).split(",")) - {""}
    rules = Counter(nodes.values())
    submissions = Counter()
    for group, count in group_components(nodes, edges, groups).items():
        submissions[f"group {group}"] = math.ceil(count / per_job.get(group, 1))
    for rule, count in rules.items():
        if rule in LOCAL_RULES or rule in groups:
            continue
        submissions[f"array {rule}" if rule in arrays else rule] = 1 if rule in arrays else count
    return {"rule_jobs": sum(c for r, c in rules.items() if r not in LOCAL_RULES),
            "slurm_submissions": sum(submissions.values()), "by_submission": dict(sorted(submissions.items()))}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    result = plan(*argv)
    print(f"{result['rule_jobs']} rule jobs -> {result['slurm_submissions']} Slurm submissions")
    for name, count in result["by_submission"].items():
        print(f"  {count:4d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
