"""milterclient - the MTA side of the milter protocol (version 6), for tests.

A compact client that talks to a real milter over TCP or a unix socket, as
Postfix's milter8.c does, and that can also misbehave on purpose: arbitrary
or malformed packets, a packet cut in half, a length field announcing 4 GB,
an idle connection, SMFIC_QUIT_NC connection reuse. Used by
tests/e2e/milter_proto.py; meant to be reused by later hardening tests
(slow and hostile clients).

    c = MilterClient("inet:8891@127.0.0.1")
    neg = c.negotiate()                     # offers every action and step
    c.connect("client.example", "192.0.2.1", 25, macros={"j": "mx"})
    c.helo("client.example")
    c.mail("<a@example.com>")
    c.rcpt("<b@example.net>")
    c.data()
    c.header("From", " a@example.com")      # value as Postfix sends it
    c.eoh()
    c.body(b"hello\\r\\n")
    res = c.eom()                           # res.final, res.inserted(...)
    c.quit()

Every reply-bearing command returns the reply as a Reply(cmd, data);
SMFIR_PROGRESS packets are skipped. Commands the milter negotiated away
(SMFIP_NR_*, SMFIP_NO*) are sent without waiting, as an MTA would. Errors:
Closed when the milter closed the connection, socket.timeout when it did
not answer in time, ProtocolError on a malformed reply.

Harness: Daemon(binary, config_lines, workdir) writes a configuration and
runs "authmilter -f -c FILE" on a free loopback port, its stderr in a log
file; stop() ends it by its pid (SIGTERM, then SIGKILL). nofile= sets its
RLIMIT_NOFILE, user= starts it as that user (Popen's user=).
peak_rss_kb() and status(key) read /proc/PID/status (VmHWM, Threads...).
"""

import os
import signal
import socket
import struct
import subprocess
import time

# Commands (MTA -> milter), mfdef.h
SMFIC_ABORT = b"A"
SMFIC_BODY = b"B"
SMFIC_CONNECT = b"C"
SMFIC_MACRO = b"D"
SMFIC_BODYEOB = b"E"
SMFIC_HELO = b"H"
SMFIC_QUIT_NC = b"K"
SMFIC_HEADER = b"L"
SMFIC_MAIL = b"M"
SMFIC_EOH = b"N"
SMFIC_OPTNEG = b"O"
SMFIC_QUIT = b"Q"
SMFIC_RCPT = b"R"
SMFIC_DATA = b"T"
SMFIC_UNKNOWN = b"U"

# Replies (milter -> MTA) that end a command
FINAL = set(b"acdrtsy")
SMFIR_PROGRESS = ord("p")

# Protocol step flags
SMFIP_NOCONNECT = 0x1
SMFIP_NOHELO = 0x2
SMFIP_NOMAIL = 0x4
SMFIP_NORCPT = 0x8
SMFIP_NOBODY = 0x10
SMFIP_NOHDRS = 0x20
SMFIP_NOEOH = 0x40
SMFIP_NR_HDR = 0x80
SMFIP_NOUNKNOWN = 0x100
SMFIP_NODATA = 0x200
SMFIP_SKIP = 0x400
SMFIP_NR_CONN = 0x1000
SMFIP_NR_HELO = 0x2000
SMFIP_NR_MAIL = 0x4000
SMFIP_NR_RCPT = 0x8000
SMFIP_NR_DATA = 0x10000
SMFIP_NR_UNKN = 0x20000
SMFIP_NR_EOH = 0x40000
SMFIP_NR_BODY = 0x80000
SMFIP_HDR_LEADSPC = 0x100000

ALL_ACTIONS = 0x1FF
ALL_STEPS = 0x1FFFFF

# command -> (flag meaning "not sent", flag meaning "no reply")
_STEP = {
    SMFIC_CONNECT: (SMFIP_NOCONNECT, SMFIP_NR_CONN),
    SMFIC_HELO: (SMFIP_NOHELO, SMFIP_NR_HELO),
    SMFIC_MAIL: (SMFIP_NOMAIL, SMFIP_NR_MAIL),
    SMFIC_RCPT: (SMFIP_NORCPT, SMFIP_NR_RCPT),
    SMFIC_DATA: (SMFIP_NODATA, SMFIP_NR_DATA),
    SMFIC_HEADER: (SMFIP_NOHDRS, SMFIP_NR_HDR),
    SMFIC_EOH: (SMFIP_NOEOH, SMFIP_NR_EOH),
    SMFIC_BODY: (SMFIP_NOBODY, SMFIP_NR_BODY),
    SMFIC_UNKNOWN: (SMFIP_NOUNKNOWN, SMFIP_NR_UNKN),
}


class Closed(Exception):
    """The milter closed the connection."""


class ProtocolError(Exception):
    """A reply that does not follow the protocol."""


class Reply:
    """One reply packet: cmd is a one-character str, data bytes."""

    def __init__(self, cmd, data):
        self.cmd = cmd
        self.data = data

    def text(self):
        """SMFIR_REPLYCODE text ("451 4.3.0 ..."), else ""."""
        return self.data.rstrip(b"\0").decode("latin-1") if self.cmd == "y" else ""

    def __repr__(self):
        return "Reply(%r, %r)" % (self.cmd, self.data[:200])


class Negotiated:
    """The milter's answer to SMFIC_OPTNEG."""

    def __init__(self, version, actions, protocol, symlists):
        self.version = version
        self.actions = actions
        self.protocol = protocol
        self.symlists = symlists  # stage number -> "name name ..."


class EomResult:
    """Modifications asked for at end of message, and the final reply."""

    def __init__(self):
        self.mods = []  # Reply objects before the final one
        self.final = None

    def inserted(self, name=None):
        """[(index, name, value)] of SMFIR_INSHEADER, optionally one name."""
        out = []
        for m in self.mods:
            if m.cmd != "i":
                continue
            idx = struct.unpack("!I", m.data[:4])[0]
            hname, value = m.data[4:].split(b"\0")[:2]
            hname = hname.decode("latin-1")
            if name is None or hname.lower() == name.lower():
                out.append((idx, hname, value.decode("latin-1")))
        return out

    def changed(self):
        """[(index, name, value-or-None)] of SMFIR_CHGHEADER (None: delete)."""
        out = []
        for m in self.mods:
            if m.cmd == "m":
                idx = struct.unpack("!I", m.data[:4])[0]
                hname, value = m.data[4:].split(b"\0")[:2]
                out.append((idx, hname.decode("latin-1"),
                            value.decode("latin-1") if value else None))
        return out


def packet(cmd, data=b"", length=None):
    """Bytes of one packet; length overrides the length field (hostile)."""
    if isinstance(cmd, str):
        cmd = cmd.encode()
    n = len(data) + 1 if length is None else length
    return struct.pack("!I", n & 0xFFFFFFFF) + cmd + data


def cstr(s):
    """NUL-terminated bytes of s (str or bytes)."""
    if isinstance(s, str):
        s = s.encode("utf-8", "surrogateescape")
    return s + b"\0"


def parse_addr(addr):
    """(family, sockaddr) for inet:PORT@HOST, inet6:PORT@HOST, unix:/p."""
    if addr.startswith(("unix:", "local:")):
        return socket.AF_UNIX, addr.split(":", 1)[1]
    if addr.startswith("inet:"):
        port, host = addr[5:].split("@", 1)
        return socket.AF_INET, (host, int(port))
    if addr.startswith("inet6:"):
        port, host = addr[6:].split("@", 1)
        return socket.AF_INET6, (host.strip("[]"), int(port))
    raise ValueError("bad milter address %r" % addr)


class MilterClient:
    """One milter connection (see the module comment)."""

    def __init__(self, addr, timeout=30.0):
        fam, sa = parse_addr(addr)
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(sa)
        self.timeout = timeout
        self.protocol = 0  # negotiated step flags
        self.rbuf = b""

    # ---------------------------------------------------------- raw I/O

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, cmd, data=b"", length=None):
        self.send_raw(packet(cmd, data, length))

    def _fill(self, n, timeout):
        end = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self.rbuf) < n:
            left = end - time.monotonic()
            if left <= 0:
                raise socket.timeout("no reply within the timeout")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed("milter closed the connection")
            self.rbuf += chunk

    def read_packet(self, timeout=None):
        """The next reply packet as a Reply."""
        self._fill(4, timeout)
        n = struct.unpack("!I", self.rbuf[:4])[0]
        if n < 1 or n > 64 * 1024 * 1024:
            raise ProtocolError("reply length %d" % n)
        self._fill(4 + n, timeout)
        cmd, data = self.rbuf[4:5], self.rbuf[5:4 + n]
        self.rbuf = self.rbuf[4 + n:]
        return Reply(cmd.decode("latin-1"), data)

    def reply(self, timeout=None):
        """The next reply that is not SMFIR_PROGRESS."""
        while True:
            r = self.read_packet(timeout)
            if r.cmd != "p":
                return r

    def wait_closed(self, timeout):
        """True when the milter closes the connection within timeout
        seconds (anything it sends meanwhile is read and dropped)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True

    # ------------------------------------------------------- protocol

    def negotiate(self, version=6, actions=ALL_ACTIONS, protocol=ALL_STEPS):
        self.send(SMFIC_OPTNEG, struct.pack("!III", version, actions,
                                            protocol))
        r = self.reply()
        if r.cmd != "O" or len(r.data) < 12:
            raise ProtocolError("negotiation reply %r" % r)
        v, a, p = struct.unpack("!III", r.data[:12])
        lists, rest = {}, r.data[12:]
        while len(rest) >= 4:
            stage = struct.unpack("!I", rest[:4])[0]
            names, _, rest = rest[4:].partition(b"\0")
            lists[stage] = names.decode("latin-1")
        self.protocol = p
        return Negotiated(v, a, p, lists)

    def macros(self, stage, values):
        """SMFIC_MACRO for the command stage (e.g. SMFIC_CONNECT)."""
        if values:
            data = stage + b"".join(cstr(k) + cstr(v)
                                    for k, v in values.items())
            self.send(SMFIC_MACRO, data)

    def command(self, cmd, data=b"", macros=None):
        """Send macros and one command; its reply, or None when the
        milter negotiated the command or its reply away."""
        self.macros(cmd, macros)
        skip, noreply = _STEP.get(cmd, (0, 0))
        if self.protocol & skip:
            return None
        self.send(cmd, data)
        if self.protocol & noreply:
            return None
        return self.reply()

    def connect(self, hostname, addr, port=25, family="4", macros=None):
        data = cstr(hostname) + family.encode()
        if family != "U":
            data += struct.pack("!H", port) + cstr(addr)
        return self.command(SMFIC_CONNECT, data, macros)

    def helo(self, name, macros=None):
        return self.command(SMFIC_HELO, cstr(name), macros)

    def mail(self, sender, *args, macros=None):
        return self.command(SMFIC_MAIL, b"".join(cstr(a) for a in
                                                 (sender,) + args), macros)

    def rcpt(self, rcpt, macros=None):
        return self.command(SMFIC_RCPT, cstr(rcpt), macros)

    def data(self, macros=None):
        return self.command(SMFIC_DATA, b"", macros)

    def header(self, name, value):
        """value as the MTA sends it: with its leading space only when
        SMFIP_HDR_LEADSPC was negotiated (pass it either way; the space is
        removed otherwise, as Postfix does)."""
        if not self.protocol & SMFIP_HDR_LEADSPC and value[:1] == " ":
            value = value[1:]
        return self.command(SMFIC_HEADER, cstr(name) + cstr(value))

    def eoh(self, macros=None):
        return self.command(SMFIC_EOH, b"", macros)

    def body(self, chunk):
        return self.command(SMFIC_BODY, chunk)

    def eom(self, macros=None, timeout=None):
        """End of message: every modification, then the final reply."""
        self.macros(SMFIC_BODYEOB, macros)
        self.send(SMFIC_BODYEOB)
        res = EomResult()
        while True:
            r = self.reply(timeout)
            if ord(r.cmd) in FINAL:
                res.final = r
                return res
            res.mods.append(r)

    def abort(self):
        self.send(SMFIC_ABORT)

    def quit(self):
        self.send(SMFIC_QUIT)

    def quit_nc(self):
        self.send(SMFIC_QUIT_NC)

    def message(self, headers, body=b"", sender="<a@sender.example>",
                rcpt="<b@rcpt.example>", macros=None):
        """One transaction from MAIL to end of message on a connection that
        has seen connect (and HELO). headers: [(name, value)] with values
        as in a message file (the leading space is added here). The reply
        to MAIL, if not continue, is returned as an EomResult with no mods.
        """
        macros = macros or {}
        r = self.mail(sender, macros=macros.get("mail"))
        if r is not None and r.cmd != "c":
            res = EomResult()
            res.final = r
            return res
        self.rcpt(rcpt, macros=macros.get("rcpt"))
        self.data(macros={"i": macros.get("i", "QID0001")})
        for name, value in headers:
            self.header(name, " " + value)
        self.eoh()
        if body:
            for i in range(0, len(body), 65535):
                self.body(body[i:i + 65535])
        return self.eom(macros={"i": macros.get("i", "QID0001")})


# ------------------------------------------------------------------ harness

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """authmilter in the foreground on a free loopback port."""

    def __init__(self, binary, workdir, lines, name="authmilter",
                 nofile=None, user=None):
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.addr = "inet:%d@127.0.0.1" % self.port
        self.conf = os.path.join(workdir, name + ".conf")
        self.log = os.path.join(workdir, name + ".log")
        given = {ln.split()[0].lower() for ln in lines if ln.strip()}
        with open(self.conf, "w") as f:
            f.write("Socket %s\n" % self.addr)
            for ln in lines:
                if ln.split()[0].lower() != "socket":
                    f.write(ln + "\n")
            for ln in ("Syslog no", "StatsFile", "ReportStore",
                       "TrustAnchorFile", "Debug yes"):
                if ln.split()[0].lower() not in given:
                    f.write(ln + "\n")
        self.logf = open(self.log, "ab")
        def limit():
            if nofile is not None:
                import resource
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.proc = subprocess.Popen([binary, "-f", "-c", self.conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf,
                                     preexec_fn=limit, user=user)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("authmilter exited (%d): %s" %
                                   (self.proc.returncode, self.log_text()))
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("authmilter did not listen: " + self.log_text())

    def client(self, timeout=30.0):
        return MilterClient(self.addr, timeout)

    def alive(self):
        return self.proc.poll() is None

    def status(self, key):
        """A /proc/PID/status field as an int ("VmHWM" in kB, "Threads");
        None when the process is gone."""
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for ln in f:
                    if ln.startswith(key + ":"):
                        return int(ln.split()[1])
        except OSError:
            pass
        return None

    def peak_rss_kb(self):
        return self.status("VmHWM")

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, needle, timeout=10.0):
        """The first log line containing needle, waiting for it; None."""
        end = time.monotonic() + timeout
        while True:
            for ln in self.log_text().splitlines():
                if needle in ln:
                    return ln
            if time.monotonic() >= end:
                return None
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.logf.close()
        return self.proc.returncode
