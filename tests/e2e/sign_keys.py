#!/usr/bin/env python3
"""tests/e2e/sign_keys.py - the daemon signs without decoding a key per
message (issue 20). Run by sign_keys.sh, which makes the keys and the
loopback resolver and passes them in the environment.

milter/authmilter runs under gdb (batch mode) with a breakpoint on every
OpenSSL entry point that decodes a key (PEM_read_bio_PrivateKey[_ex],
d2i_PrivateKey*, d2i_AutoPrivateKey*, OSSL_DECODER_from_bio/_data, which
every decode in OpenSSL 3 goes through, public keys included), one on
am_keys_load() (the key store loading) and one on am_dkim_sign_eom() (a
message being signed); each prints a marker and continues. The milter
protocol client (tests/testutil/milterclient.py) sends outbound messages
(from InternalHosts) over two connections, dual signing RSA-2048 +
Ed25519; some carry the daemon's own earlier signatures, which it verifies
against its keys (no DNS) and does not sign again; a reload (SIGUSR1)
loads the keys anew in between.

  k1  the breakpoints are live: the start-up key load decodes keys
  k2  every message gets its two signatures (or, for a message already
      signed, none, and the log names both verified)
  k3  no decoder is entered while messages are signed: every decode falls
      between an am_keys_load() and the next signed message
  k4  after the reload the keys are decoded again (once), and signing goes
      on without decoding
"""

import os
import re
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests",
    "testutil"))
from milterclient import Daemon  # noqa: E402
import tap  # noqa: E402
from tap import ok  # noqa: E402

TOP_BUILDDIR = os.environ.get("top_builddir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BINARY = os.environ.get("E2E_AUTHMILTER",
                        os.path.join(TOP_BUILDDIR, "milter", "authmilter"))
DNS_PORT = os.environ["AM_TEST_DNS_PORT"]
KEYDIR = os.environ["AM_TEST_KEYDIR"]
MESSAGES = 12

DECODERS = ["PEM_read_bio_PrivateKey", "PEM_read_bio_PrivateKey_ex",
            "d2i_PrivateKey", "d2i_PrivateKey_ex", "d2i_PrivateKey_bio",
            "d2i_PrivateKey_ex_bio", "d2i_AutoPrivateKey",
            "d2i_AutoPrivateKey_ex", "OSSL_DECODER_from_bio",
            "OSSL_DECODER_from_data"]
MARK = "@@amkeys "



def breakpoint(f, func, what):
    f.write("break %s\ncommands\nsilent\nprintf \"%s%s\\n\"\ncontinue\n"
            "end\n" % (func, MARK, what))


def gdb_wrapper(wd):
    """A program that runs its arguments under gdb with the markers."""
    cmds = os.path.join(wd, "gdb.cmds")
    with open(cmds, "w") as f:
        f.write("set pagination off\nset confirm off\n"
                "set breakpoint pending on\nset print thread-events off\n"
                "set startup-with-shell off\n")
        for sig in ("SIGTERM", "SIGUSR1", "SIGPIPE", "SIGHUP", "SIGINT"):
            f.write("handle %s nostop noprint pass\n" % sig)
        for fn in DECODERS:
            breakpoint(f, fn, "decode " + fn)
        breakpoint(f, "am_keys_load", "load")
        breakpoint(f, "am_dkim_sign_eom", "sign")
        f.write("run\n")
    wrapper = os.path.join(wd, "authmilter-gdb")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec gdb -q -nx -batch -x '%s' --args '%s' "
                "\"$@\"\n" % (cmds, BINARY))
    os.chmod(wrapper, 0o755)
    return wrapper


HDRS = [("From", "Alice <alice@sign.example>"), ("To", "b@rcpt.example"),
        ("Subject", "keys once\n\tfolded"),
        ("Date", "Mon, 01 Jan 2024 00:00:00 +0000"),
        ("Message-ID", "<k1@sign.example>")]
BODY = b"Hello,\r\n\r\nsigned without a key parse.\r\n"


def send(d, c, n, prior=()):
    hdrs = [("DKIM-Signature", v) for v in prior] + HDRS
    res = c.message(hdrs, BODY, sender="<alice@sign.example>",
                    macros={"i": "SK%02d" % n})
    sigs = [v.strip() for _, _, v in res.inserted("DKIM-Signature")]
    return res, sigs


def events(d):
    return [ln[ln.index(MARK) + len(MARK):].strip()
            for ln in d.log_text().splitlines() if MARK in ln]


def session(d):
    c = d.client()
    c.negotiate()
    c.connect("submit.example", "192.0.2.250", 587)
    c.helo("submit.example")
    return c


def wait_events(d, pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ev = events(d)
        if pred(ev):
            return ev
        time.sleep(0.1)
    return events(d)


def check_order(ev):
    """Decodes outside a key load: the events between the last sign and a
    decode with no load in between."""
    bad, in_load = [], False
    for e in ev:
        if e == "load":
            in_load = True
        elif e == "sign":
            in_load = False
        elif e.startswith("decode") and not in_load:
            bad.append(e)
    return bad


def main():
    wd = tempfile.mkdtemp(prefix="authmilter-signkeys.")
    pidfile = os.path.join(wd, "authmilter.pid")
    conf = ["AuthservID mx.sign.example", "Nameservers 127.0.0.1@" + DNS_PORT,
            "DNSTimeout 2", "InternalHosts 192.0.2.250/32",
            "PidFile " + pidfile, "Domain sign.example",
            "Selector rsa, ed",
            "KeyFile %s/rsa.key, %s/ed.key" % (KEYDIR, KEYDIR)]
    d = Daemon(gdb_wrapper(wd), wd, conf, "signkeys")
    try:
        ev = wait_events(d, lambda e: "load" in e)
        ok(ev.count("load") >= 1 and any(e.startswith("decode") for e in ev),
           "k1: the start-up key load is seen decoding keys", d.log_text())
        signed, again = [], []
        c = session(d)
        first = None
        for n in range(MESSAGES):
            if n % 4 == 3 and first:
                res, sigs = send(d, c, n, first)
                again.append(len(sigs))
            else:
                res, sigs = send(d, c, n)
                signed.append(len(sigs))
                first = first or sigs
            if n == MESSAGES // 2 - 1:
                c.quit()
                c = session(d)
        c.quit()
        ok(signed and all(x == 2 for x in signed),
           "k2: %d messages, two signatures each" % len(signed),
           repr(signed) + "\n" + d.log_text())
        line = d.wait_log("SK03: client=", 5) or ""
        m = re.search(r"dkim-sign-existing=(\S+)", line)
        ok(again and all(x == 0 for x in again) and m is not None and
           sorted(m.group(1).split(",")) == ["sign.example/ed:verified",
                                             "sign.example/rsa:verified"],
           "k2: %d messages already signed by it: verified, not signed "
           "again" % len(again), repr(again) + "\n" + line)
        ev = wait_events(d, lambda e: e.count("sign") >= MESSAGES)
        ok(ev.count("sign") == MESSAGES and not check_order(ev),
           "k3: %d messages signed, no key decoded meanwhile"
           % ev.count("sign"), "\n".join(ev))
        with open(pidfile) as f:
            pid = int(f.read().split()[0])
        loads = ev.count("load")
        os.kill(pid, signal.SIGUSR1)
        d.wait_log("reloaded ", 30)
        ev = wait_events(d, lambda e: e.count("load") > loads)
        c = session(d)
        for n in range(MESSAGES, MESSAGES + 4):
            res, sigs = send(d, c, n)
            signed.append(len(sigs))
        c.quit()
        ev = wait_events(d, lambda e: e.count("sign") >= MESSAGES + 4)
        after = ev[max(i for i, e in enumerate(ev) if e == "load"):]
        ok(ev.count("load") == loads + 1 and
           any(e.startswith("decode") for e in after) and
           after.count("sign") == 4 and signed[-4:] == [2, 2, 2, 2] and
           not check_order(ev),
           "k4: the reload decodes the keys again; 4 more messages signed "
           "without decoding", "\n".join(ev))
    finally:
        d.stop()
    if tap.failed() == 0 and not os.environ.get("E2E_KEEP"):
        for name in os.listdir(wd):
            os.unlink(os.path.join(wd, name))
        os.rmdir(wd)
    else:
        print("# kept " + wd)
    return tap.summary(plan=False)


if __name__ == "__main__":
    sys.exit(main())
