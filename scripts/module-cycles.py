#!/usr/bin/env python3
"""Checks that the library's top-level modules import each other without a cycle.

A top-level module is a file or directory directly under faststream-kv/src. Every
`crate::<module>` path in a module's files (imports and paths in code, not comments)
counts as an edge to <module>. Prints the edges and exits 1 on a cycle, naming it.
"""

import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parent.parent / "faststream-kv" / "src"
PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
GROUP = re.compile(r"\bcrate::\{([^}]*)\}")


def top_level_modules():
    modules = {}
    for entry in sorted(SRC.iterdir()):
        if entry.name == "lib.rs":
            continue
        if entry.is_dir():
            modules[entry.name] = sorted(entry.rglob("*.rs"))
        elif entry.suffix == ".rs":
            modules[entry.stem] = [entry]
    return modules


def code_of(path):
    lines = []
    for line in path.read_text().splitlines():
        stripped = line.lstrip()
        if stripped.startswith("//"):
            continue
        lines.append(line.split("//")[0] if "\"" not in line else line)
    return "\n".join(lines)


def edges(modules):
    graph = {name: set() for name in modules}
    for name, files in modules.items():
        for path in files:
            code = code_of(path)
            targets = set(PATH.findall(code))
            for group in GROUP.findall(code):
                targets.update(part.strip().split("::")[0] for part in group.split(","))
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def find_cycle(graph):
    state = {}
    stack = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def main():
    graph = edges(top_level_modules())
    for name in sorted(graph):
        print(f"{name} -> {', '.join(sorted(graph[name])) or '(leaf)'}")
    cycle = find_cycle(graph)
    if cycle:
        print("import cycle: " + " -> ".join(cycle), file=sys.stderr)
        return 1
    print("no import cycle between top-level modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
