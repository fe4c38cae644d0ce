#!/usr/bin/env python3
"""Summarise Schemathesis runs (their text output, one file per role): operations tested,
test cases generated, failures, and the failures grouped by class (check and status) with
the operations in each, so a run's findings read as a short list.

    python3 infra/drills/fuzz_summary.py OUT/anonymous.txt OUT/admin.txt ...
"""

import re
import sys
from collections import defaultdict


def summarise(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    role = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    tested = re.search(r"Tested: (\d+)", text)
    cases = re.search(r"(\d+) generated, (?:(\d+) found (\d+) unique failures|no failures)?", text)
    classes = defaultdict(set)
    op = None
    check = None
    for line in text.splitlines():
        m = re.match(r"^_+ ([A-Z]+ \S+) _+$", line)
        if m:
            op, check = m.group(1), None
            continue
        m = re.match(r"^- (.+)$", line)
        if m and op:
            check = m.group(1).strip()
            classes[(check, "")].add(op)
            continue
        m = re.match(r"^\s+Received: (\d+)", line)
        if m and op and check:
            classes[(check, "")].discard(op)
            classes[(check, m.group(1))].add(op)
    classes = {k: v for k, v in classes.items() if v}
    failures = int(cases.group(3)) if cases and cases.group(3) else 0
    return role, tested.group(1) if tested else "?", cases.group(1) if cases else "?", failures, classes


def main():
    total_cases = total_failures = 0
    for path in sys.argv[1:]:
        role, tested, cases, failures, classes = summarise(path)
        print(f"{role}: {tested} operations, {cases} test cases, {failures} failures")
        for (check, status), ops in sorted(classes.items()):
            print(f"  {check}{' ' + status if status else ''}: {', '.join(sorted(ops))}")
        if cases.isdigit():
            total_cases += int(cases)
        total_failures += failures
    print(f"all roles: {total_cases} test cases, {total_failures} failures")


if __name__ == "__main__":
    main()
