#!/usr/bin/env python3
"""summarise.py FILE.xml.gz - an independent reading of an aggregate report
(xml.etree, not authmilter's writer): one line per element of interest, so
tests compare counts, grouping and policy_published with what was stored."""
import gzip
import sys
import xml.etree.ElementTree as ET


def tag(e):
    return e.tag.split('}', 1)[-1]


def kids(e, name):
    return [c for c in e if tag(c) == name]


def text(e, name):
    c = kids(e, name)
    return c[0].text or '' if c else '-'


def main():
    with gzip.open(sys.argv[1]) as f:
        root = ET.parse(f).getroot()
    ns = root.tag[1:].split('}')[0] if root.tag.startswith('{') else '-'
    print('feedback ns=%s version=%s' % (ns, text(root, 'version')))
    md = kids(root, 'report_metadata')[0]
    dr = kids(md, 'date_range')[0]
    print('metadata org=%r email=%r extra=%r id=%s begin=%s end=%s' % (
        text(md, 'org_name'), text(md, 'email'),
        text(md, 'extra_contact_info'), text(md, 'report_id'),
        text(dr, 'begin'), text(dr, 'end')))
    pp = kids(root, 'policy_published')[0]
    print('policy ' + ' '.join('%s=%s' % (tag(c), c.text) for c in pp))
    total = 0
    for r in kids(root, 'record'):
        row = kids(r, 'row')[0]
        pe = kids(row, 'policy_evaluated')[0]
        ids = kids(r, 'identifiers')[0]
        ar = kids(r, 'auth_results')[0]
        reasons = ','.join(text(x, 'type') + '/' + text(x, 'comment')
                           for x in kids(pe, 'reason'))
        dkim = ','.join('/'.join(text(x, n) for n in
                                 ('domain', 'selector', 'result'))
                        for x in kids(ar, 'dkim'))
        spf = ','.join('/'.join(text(x, n) for n in
                                ('domain', 'scope', 'result'))
                       for x in kids(ar, 'spf'))
        total += int(text(row, 'count'))
        print('record ip=%s count=%s disp=%s dkim=%s spf=%s reasons=%s '
              'hf=%r ef=%r et=%r auth_dkim=%s auth_spf=%s' % (
                  text(row, 'source_ip'), text(row, 'count'),
                  text(pe, 'disposition'), text(pe, 'dkim'),
                  text(pe, 'spf'), reasons or '-',
                  text(ids, 'header_from'), text(ids, 'envelope_from'),
                  text(ids, 'envelope_to'), dkim or '-', spf or '-'))
    print('total %d' % total)


main()
