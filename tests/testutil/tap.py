"""tap.py - TAP output for the Python e2e suites (tests/e2e/*.py).

ok() prints one "ok N - desc" / "not ok N - desc" line (with the last
lines of diag as "#" comments on failure) and counts it; summary() prints
the plan and the totals and returns the exit status: 0 when nothing
failed. One counter per process: every suite is its own process."""
import sys

results = {"n": 0, "pass": 0, "fail": 0}


def ok(cond, desc, diag="", tail=20):
    results["n"] += 1
    if cond:
        results["pass"] += 1
        print("ok %d - %s" % (results["n"], desc))
    else:
        results["fail"] += 1
        print("not ok %d - %s" % (results["n"], desc))
        for ln in str(diag).splitlines()[-tail:]:
            print("#   " + ln)
    sys.stdout.flush()
    return cond


def failed():
    return results["fail"]


def summary(plan=True):
    if plan:
        print("1..%d" % results["n"])
    print("%d passed, %d failed" % (results["pass"], results["fail"]))
    sys.stdout.flush()
    return 0 if results["fail"] == 0 else 1
