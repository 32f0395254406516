#!/usr/bin/env python3
"""Checks the library's layout, as the developers' guide asks of it:

- dependencies between modules run one way: no module uses a module that uses it back,
  directly or through others, both module by module and between the top-level parts (each
  `crate::x` with everything under it, the facade `lib.rs` aside);
- `src/lib.rs` defines nothing: crate docs, `mod` lines and re-exports only;
- no file under `src/` is longer than 600 lines.

It reads the sources (`mod` declarations, `use` statements and paths written in code), so it
needs nothing installed; `cargo modules dependencies --lib` draws the same graph, item by item.
Prints what it finds and exits non-zero on any violation.

    python3 .ci/layering.py [SRC_DIR]
"""

import os
import re
import sys

MAX_LINES = 600
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip(source):
    """The code without comments, string and char literals, or the trailing test module."""
    test = re.search(r"^#\[cfg\(test\)\]\s*\nmod tests\s*\{", source, re.M)
    if test:
        source = source[: test.start()]
    out, i, n = [], 0, len(source)
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            j = source.find("\n", i)
            i = n if j < 0 else j
        elif source.startswith("/*", i):
            j = source.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "r" and re.match(r'r#*"', source[i:]) and not re.match(r"\w", source[i - 1 : i]):
            hashes = re.match(r"r(#*)\"", source[i:]).group(1)
            end = source.find('"' + hashes, i + len(hashes) + 2)
            i = n if end < 0 else end + 1 + len(hashes)
            out.append('""')
        elif c == '"':
            j = i + 1
            while j < n and source[j] != '"':
                j += 2 if source[j] == "\\" else 1
            i = j + 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", source[i : i + 4]):
            i += len(re.match(r"'(\\.|[^\\'])'", source[i : i + 4]).group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def discover(src):
    """Module path -> (file, is a mod-rs file), from `mod` declarations."""
    modules = {}

    def visit(path, file, mod_rs):
        modules[path] = file
        code = strip(open(file, encoding="utf-8").read())
        directory = os.path.dirname(file)
        if not mod_rs:
            directory = os.path.join(directory, os.path.splitext(os.path.basename(file))[0])
        for name in re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", code, re.M):
            flat = os.path.join(directory, name + ".rs")
            nested = os.path.join(directory, name, "mod.rs")
            if os.path.exists(flat):
                visit(path + "::" + name, flat, False)
            elif os.path.exists(nested):
                visit(path + "::" + name, nested, True)

    visit("crate", os.path.join(src, "lib.rs"), True)
    return modules


def expand(tree):
    """The paths of a `use` tree: `a::{b, c::{d, e}}` -> a::b, a::c::d, a::c::e."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        return [tree.split(" as ")[0]]
    prefix, inner = tree[:brace], tree[brace + 1 : tree.rfind("}")]
    parts, depth, start = [], 0, 0
    for i, c in enumerate(inner):
        depth += c == "{"
        depth -= c == "}"
        if c == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return [p for part in parts if part for p in expand(prefix + part)]


def references(code):
    """Every path the code names: those of `use` statements, and `a::b` paths in code."""
    paths = []
    for tree in re.findall(r"\buse\s+([^;]+);", code):
        paths.extend(expand(tree))
    code = re.sub(r"\buse\s+[^;]+;", "", code)
    paths.extend(re.findall(r"(?<![\w:])(" + IDENT + r"(?:::" + IDENT + r")+)", code))
    return paths


def resolve(module, path, modules):
    """The module a path starting in `module` lands in, or None (another crate, an item)."""
    segments = path.split("::")
    if segments[0] == "crate":
        base, rest = "crate", segments[1:]
    elif segments[0] in ("self", "super"):
        base, rest = module, segments
        while rest and rest[0] in ("self", "super"):
            if rest[0] == "super":
                base = base.rsplit("::", 1)[0]
            rest = rest[1:]
    elif module + "::" + segments[0] in modules:
        base, rest = module, segments
    else:
        return None
    target = base
    for segment in rest:
        if target + "::" + segment in modules:
            target += "::" + segment
        else:
            break
    return target


def cycles(edges):
    """One cycle through each strongly connected part that has one."""
    found, state, stack = [], {}, []

    def dfs(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt) :] + [nxt])
            elif not state.get(nxt):
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if not state.get(node):
            dfs(node)
    return found


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    modules = discover(src)
    problems = []

    edges, parts = {}, {}
    for module, file in modules.items():
        if module == "crate":
            continue
        for path in references(strip(open(file, encoding="utf-8").read())):
            target = resolve(module, path, modules)
            if target is None or target == module or target == "crate":
                continue
            edges.setdefault(module, set()).add(target)
            part, target_part = module.split("::")[:2], target.split("::")[:2]
            if part != target_part:
                parts.setdefault("::".join(part), set()).add("::".join(target_part))
    for cycle in cycles(edges):
        problems.append("modules use each other: " + " -> ".join(cycle))
    for cycle in cycles(parts):
        problems.append("parts use each other: " + " -> ".join(cycle))

    facade = strip(open(os.path.join(src, "lib.rs"), encoding="utf-8").read())
    for line in facade.splitlines():
        if re.match(r"\s*pub(\([^)]*\))?\s+(const|static|fn|struct|enum|type|trait|union|macro)\b", line):
            problems.append("src/lib.rs defines an item: " + line.strip())

    for root, _, files in os.walk(src):
        for name in files:
            if name.endswith(".rs"):
                path = os.path.join(root, name)
                lines = sum(1 for _ in open(path, encoding="utf-8"))
                if lines > MAX_LINES:
                    problems.append(f"{os.path.relpath(path, src)} has {lines} lines (over {MAX_LINES})")

    for part in sorted(parts):
        print(f"{part} -> {', '.join(sorted(parts[part]))}")
    for problem in problems:
        print("error:", problem)
    print(f"{len(modules)} modules, {sum(len(t) for t in edges.values())} dependencies, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
