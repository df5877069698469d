#!/usr/bin/env python3
"""tests/e2e/milter_proto.py - the real authmilter daemon driven through the
milter protocol by tests/testutil/milterclient.py, for what lives in the
libmilter glue (milter/) and can only be seen on the wire (issue 21).

Run by milter_proto.sh, which starts a loopback unbound (every name
NXDOMAIN, so checks end at once) and passes its port in AM_TEST_DNS_PORT.

  n1  the steps negotiated (issue 16: no reply where nothing is decided),
      kept over connection reuse after SMFIC_QUIT_NC: offered everything,
      the daemon takes SMFIP_NR_* for connect, HELO, RCPT, DATA, headers,
      end of headers and body (not MAIL: RequireTLS), and on every message
      of the connection answers only MAIL and end of message, writing the
      A-R with its leading space (SMFIP_HDR_LEADSPC); offered no NR_BODY,
      libmilter answers each body chunk for it (it offers every NR_* step
      to the milter and fakes the reply an MTA without one waits for), and
      nothing else changes on the wire
  n2  a 100 KB header (over libmilter's 64 KiB packet limit, under Postfix's
      header_size_limit) is answered, counted as header-too-long; a 2 MB one
      closes the connection with a log line, the daemon lives on
  n3  MilterTimeout 2: a connection that sends nothing, one idle after
      connect and one that sent half a packet are closed within the timeout
      plus a margin and logged, while a session on another connection is
      answered at once
  n4  packets announcing 4 GB (0xffffffff) or 2 GB: the connection is
      closed, logged, the daemon lives on
  n5  a transaction cut by the MTA (abort, or the connection dropped) is
      logged with its stage
  n6  500 DKIM-Signature headers: a final answer, an A-R under its cap, the
      dropped entries counted in the log line
E2E_ONLY=n1n3 runs only those.
"""

import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests",
    "testutil"))
from milterclient import (ALL_STEPS, SMFIP_HDR_LEADSPC,  # noqa: E402
                          SMFIP_NODATA, SMFIP_NOHELO, SMFIP_NR_BODY,
                          SMFIP_NR_CONN, SMFIP_NR_DATA, SMFIP_NR_EOH,
                          SMFIP_NR_HDR, SMFIP_NR_HELO, SMFIP_NR_MAIL,
                          SMFIP_NR_RCPT, Closed, Daemon, packet)
import tap  # noqa: E402
from tap import ok  # noqa: E402

TOP_BUILDDIR = os.environ.get("top_builddir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BINARY = os.environ.get("E2E_AUTHMILTER",
                        os.path.join(TOP_BUILDDIR, "milter", "authmilter"))
DNS_PORT = os.environ.get("AM_TEST_DNS_PORT", "9")
ONLY = os.environ.get("E2E_ONLY", "")
ID = "mx.test.example"



def base_config(extra=()):
    return ["AuthservID " + ID, "Nameservers 127.0.0.1@" + DNS_PORT,
            "DNSTimeout 2", "InternalHosts 192.0.2.250/32"] + list(extra)


def start(workdir, name, extra=()):
    return Daemon(BINARY, workdir, base_config(extra), name)


def session(d, qid="QID0001"):
    """A negotiated connection that has seen connect and HELO."""
    c = d.client()
    neg = c.negotiate()
    c.connect("client.example", "192.0.2.1", 25, macros={"j": "mta"})
    c.helo("client.example")
    return c, neg


PLAIN = [("From", "a@sender.example"), ("To", "b@rcpt.example"),
         ("Subject", "hello")]


def ar_of(res):
    ins = res.inserted("Authentication-Results")
    return ins[0][2] if ins else None


# -------------------------------------------------------------------- n1

NR_TAKEN = (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_RCPT | SMFIP_NR_DATA |
            SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)


def silent(c, what):
    """True when the daemon sent nothing after what (a reply to a step
    negotiated without one would be read here)."""
    try:
        r = c.read_packet(0.3)
    except socket.timeout:
        return True
    ok(False, "n1: no reply after %s" % what, repr(r))
    return False


def n1_turns(d, c, offer_nr_body):
    tag = "" if offer_nr_body else " (no NR_BODY offered)"
    for turn in (1, 2, 3):
        r = c.mail("<a@sender.example>")
        ok(r is not None and r.cmd == "c",
           "n1: message %d%s: MAIL answered" % (turn, tag), repr(r))
        c.rcpt("<b@rcpt.example>")
        c.data(macros={"i": "Q%d" % turn})
        for name, value in PLAIN:
            c.header(name, " " + value)
        c.eoh()
        body = c.body(b"unsigned body\r\n")
        if offer_nr_body:
            ok(body is None and silent(c, "body"),
               "n1: message %d: nothing answered before end of message"
               % turn)
        else:
            ok(body is not None and body.cmd == "c",
               "n1: message %d%s: libmilter answers the body chunk"
               % (turn, tag), repr(body))
        res = c.eom(macros={"i": "Q%d" % turn})
        ar = ar_of(res)
        ok(ar is not None and ar.startswith(" " + ID + ";"),
           "n1: message %d%s: A-R written with its leading space"
           % (turn, tag), repr(ar))
        c.quit_nc()
        c.connect("client%d.example" % turn, "192.0.2.%d" % (turn + 1), 25)
        c.helo("client%d.example" % turn)
        if offer_nr_body:
            silent(c, "connect and HELO")


def n1(wd):
    d = start(wd, "n1")
    try:
        c, neg = session(d)
        ok(neg.protocol & SMFIP_HDR_LEADSPC != 0,
           "n1: SMFIP_HDR_LEADSPC negotiated", hex(neg.protocol))
        ok(neg.protocol & NR_TAKEN == NR_TAKEN and
           neg.protocol & (SMFIP_NR_MAIL | SMFIP_NODATA | SMFIP_NOHELO) == 0,
           "n1: no reply but for MAIL and end of message", hex(neg.protocol))
        n1_turns(d, c, True)
        c.quit()
        ok(c.wait_closed(5), "n1: QUIT closes the connection")
        c = d.client()
        neg = c.negotiate(protocol=ALL_STEPS & ~SMFIP_NR_BODY)
        ok(neg.protocol & SMFIP_NR_BODY == 0,
           "n1: NR_BODY not offered, not negotiated", hex(neg.protocol))
        c.connect("client.example", "192.0.2.1", 25, macros={"j": "mta"})
        c.helo("client.example")
        n1_turns(d, c, False)
        c.quit()
        log = d.log_text()
        ok("reused without its negotiated" not in log and
           "claimed not to reply" not in log,
           "n1: no connection reused without its negotiation, no reply "
           "libmilter had to drop", log)
    finally:
        d.stop()


# -------------------------------------------------------------------- n2

def n2(wd):
    d = start(wd, "n2")
    try:
        c, _ = session(d)
        big = "x" * 76
        value = " " + "\n\t".join([big] * 1320)     # ~102 KB, folded
        c.mail("<a@sender.example>")
        c.rcpt("<b@rcpt.example>")
        c.data(macros={"i": "BIG1"})
        for name, v in PLAIN:
            c.header(name, " " + v)
        r = None
        try:
            c.header("X-Big", value)
            r = c.eoh()
            c.body(b"body\r\n")
            res = c.eom(macros={"i": "BIG1"})
        except (Closed, OSError) as e:
            res = None
            r = e
        ok(res is not None and res.final.cmd == "c",
           "n2: a %d-byte header is answered" % len(value),
           repr(r) + "\n" + d.log_text())
        ok(res is not None and ar_of(res) is not None,
           "n2: the message gets our A-R")
        line = d.wait_log("BIG1: client=", 5) or ""
        ok("anomalies=header-too-long" in line and "action=accept" in line,
           "n2: logged as header-too-long, accepted", line)
        c.quit()
        c, _ = session(d)
        c.mail("<a@sender.example>")
        c.rcpt("<b@rcpt.example>")
        c.data(macros={"i": "BIG2"})
        try:
            c.header("X-Huge", " " + "y" * (2 * 1024 * 1024))
            got = c.reply(5)
        except (Closed, OSError) as e:
            got = e
        ok(c.wait_closed(5), "n2: a 2 MB header closes the connection",
           repr(got))
        line = d.wait_log("BIG2: client=", 5) or ""
        ok("action=aborted" in line, "n2: and that is logged", d.log_text())
        ok(d.alive(), "n2: the daemon lives on")
    finally:
        d.stop()


# -------------------------------------------------------------------- n3

def n3(wd):
    d = start(wd, "n3", ["MilterTimeout 2"])
    try:
        t0 = time.monotonic()
        silent = d.client()
        idle, _ = session(d)
        half = d.client()
        half.negotiate()
        half.send_raw(packet("C", b"client.example\x004\x00\x19192.0.2.1\x00")
                      [:9])
        # A live session on another connection meanwhile.
        live, _ = session(d)
        lat = []
        for turn in range(3):
            time.sleep(0.5)
            t = time.monotonic()
            live.mail("<a@sender.example>")
            live.rcpt("<b@rcpt.example>")
            live.data(macros={"i": "LIVE%d" % turn})
            for name, v in PLAIN:
                live.header(name, " " + v)
            live.eoh()
            live.body(b"x\r\n")
            res = live.eom(macros={"i": "LIVE%d" % turn})
            lat.append(time.monotonic() - t)
        ok(res.final.cmd == "c" and max(lat) < 1.0,
           "n3: a live session is answered at once (%.0f ms at most)"
           % (max(lat) * 1000), repr(lat))
        live.quit()
        for name, c in (("silent", silent), ("idle after connect", idle),
                        ("half a packet", half)):
            closed = c.wait_closed(max(0.0, 4.0 - (time.monotonic() - t0)))
            took = time.monotonic() - t0
            ok(closed and took >= 1.9,
               "n3: %s connection closed after %.1f s (timeout 2 s, "
               "margin 2 s)" % (name, took), d.log_text())
        ok(d.wait_log("(MilterTimeout): closed", 2) is not None,
           "n3: the closure is logged", d.log_text())
        ok(d.alive(), "n3: the daemon lives on")
    finally:
        d.stop()


# -------------------------------------------------------------------- n4

def n4(wd):
    d = start(wd, "n4")
    try:
        c = d.client()
        c.negotiate()
        c.send(b"C", b"client.example\x00", length=0xFFFFFFFF)
        ok(c.wait_closed(5), "n4: 4 GB packet before connect: closed")
        ok(d.wait_log("closed before the MTA named an SMTP client", 5)
           is not None, "n4: and logged", d.log_text())
        c, _ = session(d)
        c.mail("<a@sender.example>")
        c.rcpt("<b@rcpt.example>")
        c.data(macros={"i": "HUGE4"})
        c.send(b"L", b"X-Huge\x00" + b"z" * 100, length=0xFFFFFFFF)
        ok(c.wait_closed(5), "n4: 4 GB header packet: closed")
        line = d.wait_log("HUGE4: client=", 5) or ""
        ok("action=aborted" in line, "n4: and logged", d.log_text())
        c, _ = session(d)
        c.send(b"H", b"x" * 10, length=0x7FFFFFFF)
        ok(c.wait_closed(5), "n4: 2 GB packet: closed")
        ok(d.alive(), "n4: the daemon lives on")
        c, _ = session(d)
        res = c.message(PLAIN, b"x\r\n", macros={"i": "AFTER4"})
        ok(res.final.cmd == "c", "n4: and serves the next connection")
    finally:
        d.stop()


# -------------------------------------------------------------------- n5

def n5(wd):
    d = start(wd, "n5")
    try:
        c, _ = session(d)
        c.mail("<a@sender.example>")
        c.rcpt("<b@rcpt.example>")
        c.data(macros={"i": "ABRT5"})
        c.header("From", " a@sender.example")
        c.abort()
        line = d.wait_log("ABRT5: client=", 5) or ""
        ok("stage=header" in line and "action=aborted" in line,
           "n5: an abort without end of message is logged", d.log_text())
        c.mail("<a@sender.example>")
        c.rcpt("<b@rcpt.example>")
        c.data(macros={"i": "DROP5"})
        c.header("From", " a@sender.example")
        c.eoh()
        c.body(b"part of a body\r\n")
        c.close()
        line = d.wait_log("DROP5: client=", 5) or ""
        ok("stage=body" in line and "action=aborted" in line,
           "n5: the MTA dropping the connection mid-message is logged",
           d.log_text())
    finally:
        d.stop()


# -------------------------------------------------------------------- n6

SIG = ("v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender.example; s=sel;"
       " h=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;"
       " b=" + "QUJD" * 86)


def n6(wd):
    d = start(wd, "n6")
    try:
        c, _ = session(d)
        hdrs = [("DKIM-Signature", SIG)] * 500 + PLAIN
        res = c.message(hdrs, b"x\r\n", macros={"i": "SIGS6"})
        ar = ar_of(res) or ""
        ok(res.final.cmd == "c", "n6: 500 signatures: accepted",
           repr(res.final))
        ok(0 < len(ar) <= 16384 and "more dkim results not shown" in ar,
           "n6: A-R of %d bytes, the rest counted in it" % len(ar))
        line = d.wait_log("SIGS6: client=", 5) or ""
        ok("authres-dropped=" in line and "authres-truncated" in line,
           "n6: the log line counts the dropped entries", line)
    finally:
        d.stop()


def main():
    wd = tempfile.mkdtemp(prefix="authmilter-proto.")
    keep = os.environ.get("E2E_KEEP") == "1"
    try:
        for name, fn in (("n1", n1), ("n2", n2), ("n3", n3), ("n4", n4),
                         ("n5", n5), ("n6", n6)):
            if ONLY and name not in ONLY:
                continue
            try:
                fn(wd)
            except (OSError, RuntimeError, socket.timeout, Closed) as e:
                ok(False, "%s: ran to the end" % name, repr(e))
    finally:
        if keep:
            print("# kept " + wd)
        else:
            shutil.rmtree(wd, ignore_errors=True)
    return tap.summary()


if __name__ == "__main__":
    sys.exit(main())
