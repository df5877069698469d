#!/usr/bin/env python3
"""tests/e2e/dns_faults.py - the real daemon resolving through a DNS server
that misbehaves (tests/testutil/faultdns.py on loopback, authmilter's
Nameservers pointing at it: libunbound forwards to it), driven through the
milter protocol by tests/testutil/milterclient.py (issue 15, item 1).

One domain per fault; a message from it (MAIL FROM, From and a
DKIM-Signature d= all in it) makes SPF, the DKIM key and DMARC hit the
fault:
  servfail.example        every answer SERVFAIL
  refused.example         every answer REFUSED
  tc.example              UDP answers truncated (TC), nothing listens on TCP
  slow.example            answers 4 s late (DNSTimeout is 2)
  drop.example            no answer at all
  bogus.chain.example  DNSSEC-bogus: TrustAnchorFile is chain.example's DS
                       (tests/data/dns), and the child zone's DS names a key
                       that signs nothing (a broken DNSKEY chain)
Two daemons run side by side: "accept" (SPFTempErrorAction and
DMARCTempErrorAction accept: the A-R says spf=temperror, dkim=temperror
with a reason, dmarc=temperror with a reason) and "tempfail" (both
tempfail: a 4xx reply). For each fault and daemon the whole transaction,
MAIL to the final reply, must end within DNSTimeout + 1 s (measured here
and printed), and after it a message from ok.example (answered normally) on
a new connection must get spf=pass within 1 s: nothing hung and the
resolver is not wedged. At the end the daemon has no more threads than
before the faults (once the connections are closed; the SPF pool's parked
threads, named am-spf-pool, are counted apart), stops on SIGTERM
within 7 s (libmilter looks at its stop flag every 5 s) and exits 0. The slow and drop cases go last: their timeouts
are what could poison libunbound's view of the one forwarder.
"""

import os
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("top_srcdir", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "testutil"))
from faultdns import FaultDNS  # noqa: E402
from milterclient import Closed, Daemon  # noqa: E402
import tap  # noqa: E402
from tap import ok  # noqa: E402

TOP_BUILDDIR = os.environ.get("top_builddir", os.path.join(HERE, "..", ".."))
BINARY = os.environ.get("E2E_AUTHMILTER",
                        os.path.join(TOP_BUILDDIR, "milter", "authmilter"))
DATA = os.path.join(TOP, "tests", "data", "dns")
ID = "mx.test.example"
TIMEOUT = 2  # DNSTimeout
FAULTS = [("servfail.example", "servfail"), ("refused.example", "refused"),
          ("tc.example", "tc"), ("bogus.chain.example", None),
          ("slow.example", "delay:4"), ("drop.example", "drop")]



def sig(domain):
    return ("v=1; a=ed25519-sha256; c=relaxed/relaxed; d=%s; s=sel;"
            " h=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;"
            " b=" % domain + "QUJD" * 22)


def send(d, domain, qid):
    """One message from domain on a new connection: (seconds, EomResult)."""
    c = d.client(timeout=30)
    c.negotiate()
    c.connect("client.example", "192.0.2.1", 25)
    c.helo("client.example")
    hdrs = [("DKIM-Signature", sig(domain)), ("From", "a@" + domain),
            ("To", "b@rcpt.example"), ("Subject", "dns fault")]
    t0 = time.monotonic()
    res = c.message(hdrs, b"hello\r\n", sender="<a@%s>" % domain,
                    macros={"i": qid})
    took = time.monotonic() - t0
    c.quit()
    c.close()
    return took, res


def ar_of(res):
    """Our A-R, unfolded (runs of white space as one space)."""
    ins = res.inserted("Authentication-Results")
    return " ".join(ins[0][2].split()) if ins else ""


def threads(pid, pool=False):
    """The daemon's threads but the SPF pool's (lib/spf/spf_job.c names them
    am-spf-pool: the pool grows under a burst, up to 64, and its threads
    park idle by design); with pool=True, the pool's only."""
    n = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                is_pool = f.read().strip() == "am-spf-pool"
        except OSError:
            continue
        n += is_pool == pool
    return n


def healthy(d, name, qid):
    took, res = send(d, "ok.example", qid)
    ar = ar_of(res)
    ok(res.final.cmd == "c" and "spf=pass" in ar and took < 1.0,
       "%s: then a message from ok.example: spf=pass in %.0f ms"
       % (name, took * 1000), repr(res.final) + "\n" + ar + "\n"
       + d.log_text()[-3000:])


def fault(dns, d, action, domain, mode, n):
    name = "%s/%s" % (domain, action)
    qid = "F%d%s" % (n, action[0].upper())
    try:
        took, res = send(d, domain, qid)
    except (Closed, OSError) as e:
        ok(False, "%s: answered" % name, repr(e) + "\n" + d.log_text())
        return
    ar = ar_of(res)
    line = d.wait_log(qid + ": client=", 5) or ""
    ok(took <= TIMEOUT + 1.0,
       "%s (%s): final reply in %.0f ms (DNSTimeout %d s + 1 s)"
       % (name, mode or "bogus", took * 1000, TIMEOUT),
       repr(res.final) + "\n" + line)
    if action == "accept":
        ok(res.final.cmd == "c" and "spf=temperror" in ar and
           "dkim=temperror reason=" in ar and
           "dmarc=temperror reason=" in ar,
           "%s: accepted, the A-R says temperror and why" % name,
           repr(res.final) + "\n" + ar + "\n" + line)
        print("#   %s A-R: %s" % (name, ar))
    else:
        text = res.final.text()
        ok(res.final.cmd in ("t", "y") and (res.final.cmd == "t" or
                                            text.startswith("4")),
           "%s: tempfailed (%s)" % (name, text or res.final.cmd),
           repr(res.final) + "\n" + line)
    ok("spf=temperror" in line and "dmarc=temperror" in line,
       "%s: the log line says temperror" % name, line)
    healthy(d, name, qid + "OK")


def main():
    if not os.access(BINARY, os.X_OK):
        print("SKIP: %s not built" % BINARY)
        return 77
    wd = tempfile.mkdtemp(prefix="authmilter-dnsfaults.")
    keep = os.environ.get("E2E_KEEP") == "1"
    dns = None
    daemons = {}
    try:
        dns = FaultDNS(wd, zones=[os.path.join(DATA, "chain.example.signed"),
                                  os.path.join(DATA,
                                               "bogus.chain.example.signed")],
                       rrs=['ok.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 '
                            '-all"'],
                       rules=["%s=%s" % (dom, m) for dom, m in FAULTS if m])
        base = ["AuthservID " + ID, "Nameservers " + dns.addr,
                "DNSTimeout %d" % TIMEOUT, "InternalHosts 192.0.2.250/32",
                "TrustAnchorFile " + os.path.join(DATA, "chain.example.ds"),
                "Debug no"]
        for action in ("accept", "tempfail"):
            daemons[action] = Daemon(BINARY, wd, base + [
                "SPFTempErrorAction " + action,
                "DMARCTempErrorAction " + action], "dnsfaults-" + action)
        for action, d in daemons.items():
            healthy(d, "start/" + action, "START" + action[0].upper())
            ok("DNSSEC" not in d.log_text() or "disabled" not in
               d.log_text(), "%s: DNSSEC validation on (chain.example "
               "anchor)" % action, d.log_text())
        before = {a: threads(d.proc.pid) for a, d in daemons.items()}
        for n, (domain, mode) in enumerate(FAULTS):
            for action, d in daemons.items():
                fault(dns, d, action, domain, mode, n)
        for action, d in daemons.items():
            end = time.monotonic() + 3
            while threads(d.proc.pid) > before[action] and \
                    time.monotonic() < end:
                time.sleep(0.1)
            after = threads(d.proc.pid)
            ok(after <= before[action], "%s: %d threads after the faults, "
               "%d before (and %d parked in the SPF pool, at most 64)" %
               (action, after, before[action], threads(d.proc.pid, True)))
            t0 = time.monotonic()
            d.proc.send_signal(signal.SIGTERM)
            try:
                rc = d.proc.wait(7)
            except Exception:  # noqa: BLE001 - TimeoutExpired
                rc = None
            # libmilter's listener looks at its stop flag every 5 s.
            ok(rc == 0, "%s: stops on SIGTERM in %.0f ms (libmilter polls "
               "every 5 s), exit %s"
               % (action, (time.monotonic() - t0) * 1000, rc),
               d.log_text()[-2000:])
    except (OSError, RuntimeError) as e:
        ok(False, "ran to the end", repr(e))
    finally:
        for d in daemons.values():
            d.stop()
        if dns is not None:
            dns.stop()
        if keep:
            print("# kept " + wd)
        else:
            shutil.rmtree(wd, ignore_errors=True)
    return tap.summary()


if __name__ == "__main__":
    sys.exit(main())
