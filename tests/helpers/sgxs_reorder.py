#!/usr/bin/env python3
# sgxs_reorder.py IN OUT SEED [UNMEASRD-EVERY]: rewrites a canonical SGXS with the
# EEXTEND records of each measured page in a shuffled order (sgxs-format.md §1.2
# rule 6: any order within the page is canonical); with UNMEASRD-EVERY=N, every
# Nth chunk record becomes UNMEASRD (loaded, not measured), interleaved with the
# EEXTEND records of its page. Independent of ensign: plain record slicing.
import random, sys

src, dst, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
every = int(sys.argv[4]) if len(sys.argv) > 4 else 0
rng = random.Random(seed)
d = open(src, 'rb').read()
out, page, n, at = [], [], 0, 0

def flush():
    # never keep ascending order: swap the first two when the shuffle did
    if len(page) > 1:
        orig = list(page)
        rng.shuffle(page)
        if page == orig:
            page[0], page[1] = page[1], page[0]
    out.extend(page)
    page.clear()

while at < len(d):
    tag = d[at:at + 8]
    if tag in (b'EEXTEND\0', b'UNMEASRD'):
        rec = d[at:at + 320]
        n += 1
        if every and n % every == 0:
            rec = b'UNMEASRD' + rec[8:]
        page.append(rec)
        at += 320
    else:
        flush()
        out.append(d[at:at + 64])
        at += 64
flush()
open(dst, 'wb').write(b''.join(out))
