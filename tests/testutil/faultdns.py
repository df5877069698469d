#!/usr/bin/env python3
"""faultdns - a small DNS server on loopback that misbehaves on request.

For tests that point authmilter's Nameservers (a libunbound forwarder) at
a server that answers some names badly. Needs dnspython (Debian package
python3-dnspython).

    faultdns.py --port-file F [--tcp] [--zone FILE]... [--rr RR]...
                [--rule SUFFIX=MODE]... [--log FILE]

It binds UDP (and with --tcp also TCP) on 127.0.0.1 on a free port, writes
the port to F once it serves, and answers every query it gets (recursion
desired or not, with RA set, so a forwarding resolver takes it):

  - a name under SUFFIX of a --rule (longest suffix wins) gets MODE:
      servfail   rcode SERVFAIL
      refused    rcode REFUSED
      tc         over UDP an empty answer with TC set (the resolver must
                 retry over TCP; without --tcp nothing listens there, so
                 the TCP connection is refused)
      drop       no answer at all
      delay:S    the normal answer, S seconds late (other queries are
                 served meanwhile)
  - otherwise the data of the most specific --zone (a zone file, signed
    or not: RRSIGs are added when the query has the DO bit; a delegation's
    DS is answered from the parent) or of the --rr records (unbound
    local-data syntax, "name. TTL IN TYPE rdata"); a name in a zone that
    has no such record gets NODATA or NXDOMAIN with the SOA (and NSEC
    records with DO); a name nowhere is NXDOMAIN.

An answer over UDP larger than the query's EDNS payload size (512 bytes
without EDNS) goes out empty with TC set, as a real server sends it.
One log line per query: "qname qtype mode rcode [TC]" (--log, else
stderr).
SIGTERM ends it.

From Python: FaultDNS(workdir, zones=[...], rrs=[...], rules=[...]) starts
it as a child process (the same interpreter) and waits for its port
(.port, .addr "127.0.0.1@PORT"); stop() ends it by its pid; log_text()
is its query log.
"""

import argparse
import os
import signal
import socket
import socketserver
import struct
import sys
import threading

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone


class Data:
    """Zones and loose records, and the rules."""

    def __init__(self, zones, rrs, rules):
        self.zones = []  # (origin, dns.zone.Zone)
        for path in zones:
            z = dns.zone.from_file(path, origin=self._first_owner(path),
                                   relativize=False, check_origin=False)
            self.zones.append((z.origin, z))
        self.rrs = {}  # (name, rdtype) -> rrset
        for text in rrs:
            rr = dns.rrset.from_text(*self._split(text))
            key = (rr.name, rr.rdtype)
            if key in self.rrs:
                self.rrs[key].union_update(rr)
            else:
                self.rrs[key] = rr
        self.rules = []  # (suffix name, mode)
        for r in rules:
            suffix, mode = r.split("=", 1)
            self.rules.append((dns.name.from_text(suffix), mode))
        self.rules.sort(key=lambda r: -len(r[0]))

    @staticmethod
    def _first_owner(path):
        """The owner of the first record (a signed file has no $ORIGIN)."""
        with open(path) as f:
            for ln in f:
                if ln.strip() and not ln.startswith((";", "$", " ", "\t")):
                    return dns.name.from_text(ln.split()[0])
        raise ValueError("%s: no record" % path)

    @staticmethod
    def _split(text):
        name, ttl, cls, rtype, rdata = text.split(None, 4)
        return name, int(ttl), cls, rtype, rdata

    def mode(self, qname):
        for suffix, mode in self.rules:
            if qname.is_subdomain(suffix):
                return mode
        return "answer"

    def zone_for(self, qname, rdtype):
        """The most specific zone holding qname; a DS query at a zone apex
        goes to the parent."""
        best = None
        for origin, z in self.zones:
            if not qname.is_subdomain(origin):
                continue
            if rdtype == dns.rdatatype.DS and qname == origin:
                continue
            if best is None or len(origin) > len(best[0]):
                best = (origin, z)
        return best

    def answer(self, q, resp):
        """Fill resp (a response to q) from the data."""
        qname = q.question[0].name
        rdtype = q.question[0].rdtype
        do = bool(q.ednsflags & dns.flags.DO) if q.edns >= 0 else False
        key = (qname, rdtype)
        if key in self.rrs:
            resp.answer.append(self.rrs[key])
            return
        if any(n == qname for n, _ in self.rrs):
            return  # NODATA
        found = self.zone_for(qname, rdtype)
        if found is None:
            resp.set_rcode(dns.rcode.NXDOMAIN)
            return
        origin, z = found
        resp.flags |= dns.flags.AA
        node = z.get_node(qname)
        if node is not None:
            rds = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if rds is not None:
                resp.answer.append(self._rrset(qname, rds))
                if do:
                    self._add_sig(resp.answer, node, qname, rdtype)
                return
        else:
            resp.set_rcode(dns.rcode.NXDOMAIN)
        soa = z.get_node(origin)
        rds = soa.get_rdataset(dns.rdataclass.IN, dns.rdatatype.SOA)
        resp.authority.append(self._rrset(origin, rds))
        if do:
            self._add_sig(resp.authority, soa, origin, dns.rdatatype.SOA)
            self._add_nsec(resp, z, qname, node)

    @staticmethod
    def _rrset(name, rds):
        rr = dns.rrset.RRset(name, rds.rdclass, rds.rdtype, rds.covers)
        rr.update(rds)
        return rr

    def _add_sig(self, section, node, name, rdtype):
        sig = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG,
                                rdtype)
        if sig is not None:
            section.append(self._rrset(name, sig))

    def _add_nsec(self, resp, z, qname, node):
        """The NSEC of qname (NODATA) or the one covering it (NXDOMAIN),
        and the one at the apex (no wildcard in these zones)."""
        names = sorted(n for n, nd in z.nodes.items()
                       if nd.get_rdataset(dns.rdataclass.IN,
                                          dns.rdatatype.NSEC) is not None)
        want = {qname} if node is not None else set()
        if node is None:
            prev = [n for n in names if n < qname]
            if prev:
                want.add(prev[-1])
            want.add(z.origin)
        for n in names:
            if n in want:
                nd = z.get_node(n)
                resp.authority.append(self._rrset(n, nd.get_rdataset(
                    dns.rdataclass.IN, dns.rdatatype.NSEC)))
                self._add_sig(resp.authority, nd, n, dns.rdatatype.NSEC)


class Server:
    def __init__(self, data, logf):
        self.data = data
        self.logf = logf
        self.lock = threading.Lock()

    def log(self, q, mode, rcode):
        qq = q.question[0]
        with self.lock:
            self.logf.write("%s %s %s %s\n" % (
                qq.name, dns.rdatatype.to_text(qq.rdtype), mode, rcode))
            self.logf.flush()

    def handle(self, wire, over_tcp, send):
        """Answer one query; send(bytes) delivers the reply."""
        try:
            q = dns.message.from_wire(wire)
        except Exception:  # noqa: BLE001 - a garbled query gets nothing
            return
        if not q.question:
            return
        resp = dns.message.make_response(q)
        resp.flags |= dns.flags.RA
        mode = self.data.mode(q.question[0].name)
        delay = 0.0
        if mode == "drop":
            self.log(q, mode, "-")
            return
        if mode == "servfail":
            resp.set_rcode(dns.rcode.SERVFAIL)
        elif mode == "refused":
            resp.set_rcode(dns.rcode.REFUSED)
        elif mode == "tc" and not over_tcp:
            resp.flags |= dns.flags.TC
        else:
            if mode.startswith("delay:"):
                delay = float(mode.split(":", 1)[1])
            self.data.answer(q, resp)
        out = self.wire(q, resp, over_tcp)
        self.log(q, mode, dns.rcode.to_text(resp.rcode()) +
                 (" TC" if out[2] & 0x02 else ""))
        if delay > 0:
            threading.Timer(delay, send, (out,)).start()
        else:
            send(out)


    @staticmethod
    def wire(q, resp, over_tcp):
        """resp in wire format; over UDP an answer larger than the
        client's EDNS payload size (512 without EDNS) is sent empty with
        TC set, as a real server does, so the client retries over TCP."""
        if over_tcp:
            return resp.to_wire(max_size=65535)
        limit = max(512, q.payload) if q.edns >= 0 else 512
        try:
            return resp.to_wire(max_size=limit)
        except dns.exception.TooBig:
            short = dns.message.make_response(q)
            short.flags |= dns.flags.RA | dns.flags.TC
            short.set_rcode(resp.rcode())
            return short.to_wire(max_size=limit)


def serve_udp(sock, server):
    while True:
        wire, peer = sock.recvfrom(65535)

        def send(out, peer=peer):
            try:
                sock.sendto(out, peer)
            except OSError:
                pass
        server.handle(wire, False, send)


def make_tcp(server, sock):
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            conn = self.request
            while True:
                head = self._read(conn, 2)
                if head is None:
                    return
                wire = self._read(conn, struct.unpack("!H", head)[0])
                if wire is None:
                    return
                done = threading.Event()

                def send(out):
                    try:
                        conn.sendall(struct.pack("!H", len(out)) + out)
                    except OSError:
                        pass
                    done.set()
                server.handle(wire, True, send)
                done.wait(30)

        @staticmethod
        def _read(conn, n):
            buf = b""
            while len(buf) < n:
                chunk = conn.recv(n - len(buf))
                if not chunk:
                    return None
                buf += chunk
            return buf

    class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
        daemon_threads = True
        allow_reuse_address = True

        def server_bind(self):
            self.socket = sock

    srv = TCPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    srv.socket = sock
    sock.listen(16)
    return srv


def bind(tcp):
    """UDP (and TCP) sockets on one free loopback port."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        if not tcp:
            return u, None, port
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return u, t, port
        except OSError:
            u.close()
            t.close()
    raise OSError("no free port for UDP and TCP")


class FaultDNS:
    """This server as a child process (see the module comment)."""

    def __init__(self, workdir, zones=(), rrs=(), rules=(), tcp=False):
        import subprocess
        import time
        pf = os.path.join(workdir, "faultdns.port")
        self.log = os.path.join(workdir, "faultdns.log")
        if os.path.exists(pf):
            os.unlink(pf)
        cmd = [sys.executable, os.path.abspath(__file__), "--port-file", pf,
               "--log", self.log]
        cmd += ["--tcp"] if tcp else []
        for z in zones:
            cmd += ["--zone", z]
        for r in rrs:
            cmd += ["--rr", r]
        for r in rules:
            cmd += ["--rule", r]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        end = time.monotonic() + 15
        while not os.path.exists(pf):
            if self.proc.poll() is not None or time.monotonic() > end:
                self.stop()
                raise RuntimeError("faultdns did not start")
            time.sleep(0.05)
        with open(pf) as f:
            self.port = int(f.read())
        self.addr = "127.0.0.1@%d" % self.port

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--zone", action="append", default=[])
    ap.add_argument("--rr", action="append", default=[])
    ap.add_argument("--rule", action="append", default=[])
    ap.add_argument("--log")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    data = Data(a.zone, a.rr, a.rule)
    logf = open(a.log, "a") if a.log else sys.stderr
    server = Server(data, logf)
    u, t, port = bind(a.tcp)
    if t is not None:
        srv = make_tcp(server, t)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.port_file)
    serve_udp(u, server)


if __name__ == "__main__":
    main()
