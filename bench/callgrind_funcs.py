#!/usr/bin/env python3
"""Self and inclusive instruction counts per function of a stripped static-PIE tool, from a
callgrind profile and lld's map of the same build (the release binaries carry no symbols):

  callgrind_funcs.py PROFILE MAP TOOL [N] [FILTER [callees]]

PROFILE is `valgrind --tool=callgrind --dump-instr=yes --dump-line=no` of the binary built with
VNET_LINK_MAP=DIR (DIR/TOOL.map); prints the N (40) functions with the most inclusive
instructions whose name contains FILTER (a regular expression), with their self count; with
`callees`, the calls those functions make instead, with their inclusive counts. A call
from a function to itself is not added twice; a longer recursion may be.
"""
import bisect
import collections
import re
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from link_order import object_line, sections  # noqa: E402


def name(section):
    """A readable name: the map's demangled symbol, else the input section."""
    return (section[3] or section[2]).strip()


def costs(profile, tool, where):
    """(self, inclusive) instruction counts per function name of TOOL's own object."""
    own = collections.Counter()
    calls = collections.Counter()
    edges = collections.Counter()
    names, current, last, pending = {}, None, 0, None

    def at(text):
        nonlocal last
        if text.startswith("0x"):
            last = int(text, 16)
        elif text[0] == "+":
            last += int(text[1:])
        elif text[0] == "-":
            last -= int(text[1:])
        return last

    for line in open(profile):
        if line.startswith(("ob=", "cob=")):
            current = object_line(line, names, current)
            continue
        if line.startswith("calls="):
            target = line.split()[1]
            pending = target
            continue
        if line[:1] not in "0123456789+-*":
            continue
        parts = line.split()
        if not (current and current.endswith("/" + tool)):
            pending = None
            continue
        if pending is not None:
            site = at(parts[0])
            # The target is given relative to the call site's position.
            saved = last
            callee = at(pending)
            last = saved
            pending = None
            caller_fn, callee_fn = where(site), where(callee)
            if caller_fn != callee_fn and len(parts) > 1:
                calls[caller_fn] += int(parts[1])
                edges[caller_fn, callee_fn] += int(parts[1])
            continue
        address = at(parts[0])
        if len(parts) > 1:
            own[where(address)] += int(parts[1])
    total = collections.Counter(own)
    total.update(calls)
    return own, total, edges


def main():
    profile, map_path, tool = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 40
    wanted = re.compile(sys.argv[5]) if len(sys.argv) > 5 else None
    secs = sections(map_path)
    starts = [s[0] for s in secs]

    def where(address):
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and secs[i][0] <= address < secs[i][1]:
            return name(secs[i])
        return f"?{address:#x}"

    own, total, edges = costs(profile, tool, where)
    if wanted and len(sys.argv) > 6 and sys.argv[6] == "callees":
        for (caller, callee), n in sorted(edges.items(), key=lambda e: -e[1]):
            if wanted.search(caller):
                print(f"{n:>12,}  {caller[:60]} -> {callee[:110]}")
        return
    rows = [(t, own[f], f) for f, t in total.items() if not wanted or wanted.search(f)]
    for t, s, f in sorted(rows, reverse=True)[:count]:
        print(f"{t:>12,} {s:>12,}  {f[:150]}")


if __name__ == "__main__":
    main()
