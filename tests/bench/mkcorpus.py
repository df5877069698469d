#!/usr/bin/python3
"""mkcorpus.py - benchmark corpus, keys and DNS zone (tests/bench).

    /usr/bin/python3 mkcorpus.py OUTDIR [--latency N]

Writes, all under OUTDIR:
  keys/<name>.pem        private keys, mode 0600 (RSA-2048 PKCS#1 PEM, Ed25519
                         PKCS#8 PEM: both libopendkim and OpenSSL read them)
  inbound/NN-kind.eml    inbound mail; NN-kind.eml.env gives the envelope
                         (client, helo, from, rcpt) for tests/bench/loadgen
  outbound/NN-kind.eml   unsigned submissions From: @sign.bench.example
  latency/NNNNN.eml      with --latency N: N inbound messages, each under its
                         own domain mNNNNN.lat.bench.example (From, MAIL
                         FROM, HELO mail.mNNNNN..., DKIM d=, alternately
                         RSA-2048 and Ed25519, selector "lat"), so that no
                         lookup of one message is in any cache when the
                         next one comes: the cold-cache latency runs
  zone.txt               one RR per line (unbound local-data syntax): DKIM
                         keys, SPF for every MAIL FROM and HELO domain, DMARC
                         records and A records; fed to tests/testdns.sh
Inbound kinds: RSA-2048 signed, Ed25519 signed, unsigned, broken body hash,
broken header (signature fails), signed by a domain not aligned with From,
and 100 KB+ signed and unsigned messages. Typical messages are ~4 KB.
Signatures are made with dkimpy (python3-dkim), relaxed/relaxed.
"""
import base64
import os
import sys

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

NET = "192.0.2"          # TEST-NET-1: every client address is here
PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER
RAW = serialization.Encoding.Raw
NOENC = serialization.NoEncryption()

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do "
         "eiusmod tempor incididunt ut labore et dolore magna aliqua ut "
         "enim ad minim veniam quis nostrud exercitation ullamco laboris").split()


def write(path, data, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def txt_rr(name, text):
    """A TXT RR with the text split into 255-octet strings."""
    parts = [text[i:i + 255] for i in range(0, len(text), 255)]
    return "%s. 300 IN TXT %s" % (name, " ".join('"%s"' % p for p in parts))


class Key:
    def __init__(self, outdir, name, kind):
        self.kind = kind
        if kind == "rsa":
            k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = k.private_bytes(PEM, serialization.PrivateFormat.TraditionalOpenSSL, NOENC)
            pub = k.public_key().public_bytes(
                DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            self.dkimpy_key = pem
            self.alg = b"rsa-sha256"
        else:
            k = ed25519.Ed25519PrivateKey.generate()
            pem = k.private_bytes(PEM, serialization.PrivateFormat.PKCS8, NOENC)
            pub = k.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
            seed = k.private_bytes(RAW, serialization.PrivateFormat.Raw, NOENC)
            self.dkimpy_key = base64.b64encode(seed)
            self.alg = b"ed25519-sha256"
        self.path = os.path.join(outdir, "keys", name + ".pem")
        write(self.path, pem, 0o600)
        self.p = base64.b64encode(pub).decode()

    def record(self, selector, domain):
        k = "rsa" if self.kind == "rsa" else "ed25519"
        return txt_rr("%s._domainkey.%s" % (selector, domain),
                      "v=DKIM1; k=%s; p=%s" % (k, self.p))


def body(size, seed):
    lines, n, i = [], 0, seed
    while n < size:
        words = [WORDS[(i + j * 7) % len(WORDS)] for j in range(11)]
        line = " ".join(words).capitalize() + "."
        lines.append(line)
        n += len(line) + 2
        i += 3
    return "\r\n".join(lines) + "\r\n"


def message(frm, subject, size, seed):
    hdrs = [
        ("From", "Alice Example <%s>" % frm),
        ("To", "Bob Receiver <bob@mx.bench.example>"),
        ("Subject", subject),
        ("Date", "Mon, 03 Jun 2024 10:%02d:00 +0000" % (seed % 60)),
        ("Message-ID", "<bench-%d@%s>" % (seed, frm.split("@")[1])),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
    ]
    head = "".join("%s: %s\r\n" % h for h in hdrs)
    return (head + "\r\n" + body(size, seed)).encode()


def sign(msg, key, selector, domain):
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key.dkimpy_key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    signature_algorithm=key.alg)
    return sig + msg


def envelope(helo, frm, last_octet):
    return ("client=%s.%d\nhelo=%s\nfrom=%s\nrcpt=bob@mx.bench.example\n"
            % (NET, last_octet, helo, frm)).encode()


def inbound(outdir, keys):
    rk, ek = keys["in-rsa"], keys["in-ed"]
    d = os.path.join(outdir, "inbound")
    cases = []
    m = message("alice@rsa.bench.example", "RSA signed", 4000, 1)
    cases.append(("rsa", sign(m, rk, "r1", "rsa.bench.example"), "rsa.bench.example"))
    m = message("alice@ed.bench.example", "Ed25519 signed", 4000, 2)
    cases.append(("ed25519", sign(m, ek, "e1", "ed.bench.example"), "ed.bench.example"))
    m = message("alice@plain.bench.example", "Unsigned", 4000, 3)
    cases.append(("unsigned", m, "plain.bench.example"))
    m = sign(message("alice@rsa.bench.example", "Body changed", 4000, 4), rk,
             "r1", "rsa.bench.example")
    cases.append(("badbody", m.replace(b"Lorem", b"L0rem", 1), "rsa.bench.example"))
    m = sign(message("alice@ed.bench.example", "Header changed", 4000, 5), ek,
             "e1", "ed.bench.example")
    cases.append(("badhdr", m.replace(b"Header changed", b"Header chang3d"),
                  "ed.bench.example"))
    m = message("alice@other.bench.example", "Unaligned", 4000, 6)
    cases.append(("unaligned", sign(m, rk, "r1", "rsa.bench.example"),
                  "rsa.bench.example"))
    m = message("alice@rsa.bench.example", "Big RSA signed", 110000, 7)
    cases.append(("big-rsa", sign(m, rk, "r1", "rsa.bench.example"), "rsa.bench.example"))
    m = message("alice@ed.bench.example", "Ed25519 signed again", 4000, 8)
    cases.append(("ed25519-2", sign(m, ek, "e1", "ed.bench.example"), "ed.bench.example"))
    m = message("alice@rsa.bench.example", "RSA signed again", 4000, 9)
    cases.append(("rsa-2", sign(m, rk, "r1", "rsa.bench.example"), "rsa.bench.example"))
    m = message("alice@plain.bench.example", "Big unsigned", 120000, 10)
    cases.append(("big-unsigned", m, "plain.bench.example"))
    for i, (kind, data, mfdom) in enumerate(cases):
        name = os.path.join(d, "%02d-%s.eml" % (i + 1, kind))
        write(name, data)
        write(name + ".env", envelope("mail." + mfdom, "bounce@" + mfdom, 10 + i))


def outbound(outdir):
    d = os.path.join(outdir, "outbound")
    for i, size in enumerate((4000, 4000, 4000, 4000, 4000, 4000, 4000, 4000,
                              4000, 110000)):
        frm = "alice@sign.bench.example"
        name = os.path.join(d, "%02d-submit.eml" % (i + 1))
        write(name, message(frm, "Submission %d" % i, size, 100 + i))
        write(name + ".env", ("client=127.0.0.1\nhelo=laptop.sign.bench.example\n"
                              "from=%s\nrcpt=bob@mx.example\nauth=alice\n"
                              % frm).encode())


def zone(keys):
    rrs = [keys["in-rsa"].record("r1", "rsa.bench.example"),
           keys["in-ed"].record("e1", "ed.bench.example"),
           keys["out-rsa"].record("srsa", "sign.bench.example"),
           keys["out-ed"].record("sed", "sign.bench.example")]
    spf = "v=spf1 ip4:%s.0/24 -all" % NET
    policies = {"rsa.bench.example": "reject", "ed.bench.example": "reject",
                "plain.bench.example": "none", "other.bench.example": "quarantine",
                "sign.bench.example": "none"}
    for dom, p in sorted(policies.items()):
        rrs.append(txt_rr(dom, spf))
        rrs.append(txt_rr("mail." + dom, spf))
        rrs.append("mail.%s. 300 IN A %s.10" % (dom, NET))
        rrs.append(txt_rr("_dmarc." + dom, "v=DMARC1; p=%s; rua=mailto:dmarc@%s"
                          % (p, dom)))
    rrs.append("mx.bench.example. 300 IN A 127.0.0.1")
    return "\n".join(rrs) + "\n"


def latency(outdir, keys, n):
    """n messages with names of their own; their records (returned)."""
    d = os.path.join(outdir, "latency")
    os.makedirs(d, exist_ok=True)
    spf = "v=spf1 ip4:%s.0/24 -all" % NET
    rrs = []
    for i in range(n):
        dom = "m%05d.lat.bench.example" % i
        key = keys["in-rsa"] if i % 2 == 0 else keys["in-ed"]
        m = message("alice@" + dom, "Latency %d" % i, 4000, 1000 + i)
        name = os.path.join(d, "%05d.eml" % i)
        write(name, sign(m, key, "lat", dom))
        write(name + ".env", envelope("mail." + dom, "bounce@" + dom,
                                      10 + i % 200))
        rrs += [txt_rr(dom, spf), txt_rr("mail." + dom, spf),
                key.record("lat", dom),
                txt_rr("_dmarc." + dom, "v=DMARC1; p=reject")]
    return rrs


def main():
    args = sys.argv[1:]
    nlat = 0
    if len(args) == 3 and args[1] == "--latency" and args[2].isdigit():
        nlat = int(args[2])
        args = args[:1]
    if len(args) != 1:
        sys.exit("usage: mkcorpus.py OUTDIR [--latency N]")
    out = args[0]
    for sub in ("keys", "inbound", "outbound"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    os.chmod(os.path.join(out, "keys"), 0o700)
    keys = {"in-rsa": Key(out, "in-rsa", "rsa"), "in-ed": Key(out, "in-ed", "ed"),
            "out-rsa": Key(out, "out-rsa", "rsa"), "out-ed": Key(out, "out-ed", "ed")}
    inbound(out, keys)
    outbound(out)
    text = zone(keys)
    if nlat > 0:
        text += "\n".join(latency(out, keys, nlat)) + "\n"
    write(os.path.join(out, "zone.txt"), text.encode())


if __name__ == "__main__":
    main()
