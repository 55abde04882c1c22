#!/usr/bin/env python3
"""Instructions per operation in JIT-compiled code (docs/performance.md, "Instruction counts").

Usage: callgrind_by_jit_method.py OUT_A MAP_A N_A OUT_B MAP_B N_B

OUT_x is the callgrind output (--separate-threads=yes --dump-instr=yes) of a thread of `InstructionCounts OP` that
ran the operation N_x times, MAP_x the JDK's perf map of that process (-XX:+DumpPerfMapAtExit writes
/tmp/perf-<pid>.map; both threads' process, so the same map twice). Each instruction address is named by the map.
Prints the difference of the two threads over N_B - N_A: one operation's instructions in JIT-compiled code, by
method; then in all the thread's code (its `summary:`, which adds what the thread ran in the interpreter and the VM).
The JIT compiler and the GC run on threads of their own, outside both counts.
"""
import bisect
import collections
import sys


def by_method(out, perf_map):
    ranges = []
    for line in open(perf_map):
        address, size, name = line.rstrip("\n").split(" ", 2)
        ranges.append((int(address, 16), int(size, 16), name))
    ranges.sort()
    starts = [r[0] for r in ranges]
    cost = collections.Counter()
    last = 0
    after_call = False

    def number(text):
        return int(text, 16) if text.startswith("0x") else int(text)

    for line in open(out):
        if line.startswith("calls="):
            after_call = True  # the next cost line is the call's inclusive cost: not this code's own
            continue
        if line[:1] not in "0123456789+-*":
            continue
        parts = line.split()
        if len(parts) < 3:
            continue
        position = parts[0]
        if position[0] == "+":
            address = last + number(position[1:])
        elif position[0] == "-":
            address = last - number(position[1:])
        elif position == "*":
            address = last
        else:
            address = number(position)
        last = address
        if after_call:
            after_call = False
            continue
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and address < ranges[i][0] + ranges[i][1] and ranges[i][2] != "Interpreter":
            cost[ranges[i][2]] += int(parts[2])
    return cost


def main():
    out_a, map_a, n_a, out_b, map_b, n_b = sys.argv[1:7]
    a, b = by_method(out_a, map_a), by_method(out_b, map_b)
    ops = int(n_b) - int(n_a)
    diff = {name: b[name] - a.get(name, 0) for name in b}
    print(f"{sum(diff.values()) // ops} instructions an operation in JIT code")
    for name, count in sorted(diff.items(), key=lambda item: -item[1])[:12]:
        print(f"{count // ops:>10}  {name}")
    total_a, total_b = summary(out_a), summary(out_b)
    if total_a is not None and total_b is not None:
        print(f"{(total_b - total_a) // ops} instructions an operation in all the thread's code")


def summary(out):
    """The output's total instructions (its summary: line), or None."""
    for line in open(out):
        if line.startswith("summary:"):
            return int(line.split()[1])
    return None


if __name__ == "__main__":
    main()
