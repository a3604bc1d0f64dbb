#!/usr/bin/env python3
"""The code order for one static-PIE tool (bench/link-order runs it; see vnet-common/build/static_pie.rs).

  link_order.py PROFILES MAP TOOL > vnet-common/build/order/TOOL.txt
  link_order.py --check MAP ORDER      how many of ORDER's names the linked text holds, and where

PROFILES holds N.out (callgrind --dump-instr=yes of one verb line) and N.line (the line); MAP is
lld's map of the binary profiled. Every input section of .text that a TOOL line ran code in is
named once by its symbol, those shared by the most verbs first and then grouped by the set of
verbs sharing them, so each verb's code fills few 64 KiB windows. glibc's EVEX/AVX-512 string
functions come first, beside the ones valgrind ran: on the real CPU glibc's IFUNCs pick those; and so do the
glibc objects a static program runs at start only outside valgrind (NATIVE: the vDSO's symbol
lookup, which valgrind's missing vDSO skips; found with `perf record -e page-faults -d`).
"""
import bisect
import collections
import glob
import re
import sys

NATIVE = (
    "dl-lookup.o", "dl-object.o", "dl-setup_hash.o", "dl-support.o", "dl-minimal-malloc.o",
    "pthread_mutex_lock.o", "pthread_mutex_unlock.o",
)
PREFIXES = (".text.unlikely.", ".text.hot.", ".text.startup.", ".text.split.", ".text.")


def sections(map_path):
    """[(start, end, input section description, first symbol)] of .text input sections."""
    out, current = [], None
    for line in open(map_path):
        parts = line.split(None, 4)
        if len(parts) < 5:
            continue
        try:
            vma, size = int(parts[0], 16), int(parts[2], 16)
        except ValueError:
            continue
        body = parts[4].strip()
        if ":(" in body and body.endswith(")"):
            name = body[body.rindex(":(") + 2:-1]
            current = [vma, vma + size, body, None] if name.startswith(".text") and size else None
            if current:
                out.append(current)
        elif current is not None and current[3] is None:
            current[3] = body
    out.sort()
    return out


def symbol(section):
    """The name the ordering file gives a section: a Rust function section's mangled name (the
    map prints symbols demangled), else the first symbol in it (glibc's objects)."""
    name = section[2][section[2].rindex(":(") + 2:-1]
    for prefix in PREFIXES:
        rest = name[len(prefix):]
        if name.startswith(prefix) and rest.startswith(("_ZN", "_R")):
            return rest
    return section[3]


def object_line(line, names, current):
    """A callgrind `ob=`/`cob=` line: the object's name kept under its number in `names`; the
    object the lines that follow belong to (`ob=` switches to it, `cob=` keeps `current`)."""
    m = re.match(r"c?ob=\((\d+)\)(?: (.*))?", line.strip())
    if m.group(2):
        names[m.group(1)] = m.group(2)
    return names.get(m.group(1), "") if line.startswith("ob=") else current


def executed(profile, tool):
    """Addresses in TOOL's own object that a callgrind profile ran."""
    names, current, last = {}, None, 0
    for line in open(profile):
        if line.startswith(("ob=", "cob=")):
            current = object_line(line, names, current)
            continue
        if line[:1] not in "0123456789+-*":
            continue
        position = line.split()[0]
        if position.startswith("0x"):
            last = int(position, 16)
        elif position[0] == "+":
            last += int(position[1:])
        elif position[0] == "-":
            last -= int(position[1:])
        # A static PIE runs under valgrind at its link addresses.
        if current and current.endswith("/" + tool):
            yield last


def order(profiles, map_path, tool):
    secs = sections(map_path)
    starts = [s[0] for s in secs]
    uses = collections.defaultdict(set)
    for profile in sorted(glob.glob(f"{profiles}/*.out")):
        line = open(profile[:-4] + ".line").read().split()
        if line[0] != tool:
            continue
        for address in executed(profile, tool):
            i = bisect.bisect_right(starts, address) - 1
            if i >= 0 and secs[i][0] <= address < secs[i][1]:
                uses[i].add(" ".join(line[1:]))
    hot = sorted(uses, key=lambda i: (-len(uses[i]), sorted(uses[i]), secs[i][0]))
    evex = [s for s in secs if re.search(r"libc\.a\([a-z_]+-(evex|avx512)[a-z0-9-]*\.o\)", s[2]) and "dl-trampoline" not in s[2]]
    native = [s for s in secs if any(f"libc.a({o})" in s[2] for o in NATIVE)]
    # Every verb runs these (glibc's start-up): first, beside the code all verbs share.
    names = [symbol(s) for s in evex + native] + [symbol(secs[i]) for i in hot]
    seen = set()
    return [n for n in names if n and not (n in seen or seen.add(n))]


def check(map_path, order_path):
    """Prints how many ordered names the map has and the span of text they fill."""
    where = {}
    for s in sections(map_path):
        where.setdefault(symbol(s), (s[0], s[1]))
    wanted = [n.strip() for n in open(order_path) if n.strip()]
    found = [where[n] for n in wanted if n in where]
    in_order = all(a[0] <= b[0] for a, b in zip(found, found[1:]))
    span = max(e for _, e in found) - min(s for s, _ in found) if found else 0
    print(f"{order_path}: {len(found)} of {len(wanted)} names in the map, "
          f"{'in' if in_order else 'NOT in'} the order given, spanning {span // 1024} KiB from {min(found)[0]:#x}")


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        check(sys.argv[2], sys.argv[3])
    else:
        print("\n".join(order(*sys.argv[1:4])))
