#!/usr/bin/env python3
# sgxs_measured.py FILE: writes to stdout the bytes of an SGXS file that
# MRENCLAVE covers (sgxs-format.md §1.3): every record in file order, UNMEASRD
# records and their 256 data bytes left out. Pipe into `openssl dgst -sha256`.
import sys

d = open(sys.argv[1], 'rb').read()
w, at = sys.stdout.buffer, 0
while at < len(d):
    n = 320 if d[at:at + 8] in (b'EEXTEND\0', b'UNMEASRD') else 64
    if d[at:at + 8] != b'UNMEASRD':
        w.write(d[at:at + n])
    at += n
