#!/usr/bin/env python3
"""Independent MRENCLAVE of a signed Open Enclave ELF, for cross-checking
ensign's streaming C implementation (openenclave-mystikos.md §A.4, §A.5).
Written from the specification, deliberately simple: the whole image is
built in memory, which is fine for test enclaves.
Usage: oe_mrenclave.py SIGNED_ELF  -> prints the hex MRENCLAVE."""
import hashlib
import struct
import sys

PG = 4096


def rup(x, a):
    return (x + a - 1) // a * a if a else x


def main(path):
    f = open(path, 'rb').read()
    phoff, shoff = struct.unpack_from('<QQ', f, 0x20)
    entry = struct.unpack_from('<Q', f, 0x18)[0]
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from('<HHHHH', f, 0x36)
    phdrs = [struct.unpack_from('<IIQQQQQQ', f, phoff + i * phentsize) for i in range(phnum)]
    shdrs = [struct.unpack_from('<IIQQQQIIQQ', f, shoff + i * shentsize) for i in range(shnum)]
    strtab = shdrs[shstrndx]

    def name(off, table):
        s = table[4] + off
        return f[s:f.index(b'\0', s)].decode()
    secs = {name(sh[0], strtab): sh for sh in shdrs}
    loads = [p for p in phdrs if p[0] == 1]
    image_size = rup(max(p[3] + p[6] for p in loads), PG)
    img = bytearray(image_size)
    for p in loads:
        img[p[3]:p[3] + p[5]] = f[p[2]:p[2] + p[5]]

    oe = secs['.oeinfo']
    props = bytearray(f[oe[4]:oe[4] + 1960])
    heap, stack, tcs = struct.unpack_from('<QQQ', props, 8)
    flags, = struct.unpack_from('<I', props, 36)
    start, = struct.unpack_from('<Q', props, 88)
    base = start if flags & 2 else 0

    rela = b''
    if '.rela.dyn' in secs:
        for n in ('.rela.dyn', '.rela.plt'):
            if n in secs:
                rela += f[secs[n][4]:secs[n][4] + secs[n][5]]
    reloc_size = rup(len(rela), PG) if '.rela.dyn' in secs else 0
    ds = secs['.dynsym']
    rela = bytearray(rela)
    for o in range(0, len(rela), 24):
        info, = struct.unpack_from('<Q', rela, o + 8)
        if info & 0xffffffff == 18:    # TPOFF64: addend = the symbol's st_value
            value, = struct.unpack_from('<Q', f, ds[4] + (info >> 32) * 24 + 8)
            struct.pack_into('<Q', rela, o + 16, value)
    tdata = secs.get('.tdata')
    tbss = secs.get('.tbss')
    tdata_size = tdata[5] if tdata else 0
    tdata_align = max([tdata[8]] + [p[7] for p in phdrs if p[0] == 7]) if tdata_size else 0
    tbss_size = tbss[5] if tbss else 0
    tbss_align = tbss[8] if tbss_size else 0
    tls = rup(rup(tdata_size, tdata_align) + rup(tbss_size, tbss_align), PG) // PG
    heap_rva = image_size + reloc_size
    total = heap_rva + heap * PG + tcs * (PG * (stack + 2) + tls * PG + 5 * PG)
    size = 1 << (total - 1).bit_length()
    secs_size = 1 << (total + base - 1).bit_length() if base else size

    struct.pack_into('<QQQQQQ', props, 96, oe[3], 1960, image_size, reloc_size, heap_rva, size)
    props[144:144 + 1808] = bytes(1808)
    img[oe[3]:oe[3] + 1960] = props

    syms = {}
    for i in range(ds[5] // 24):
        st_name, _, _, _, st_value, _ = struct.unpack_from('<IBBHQQ', f, ds[4] + i * 24)
        syms[name(st_name, shdrs[ds[6]])] = st_value
    vals = {'_enclave_rva': syms['_enclave_rva'], '_reloc_rva': image_size, '_reloc_size': reloc_size,
            '_td_from_tcs_offset': (tls + 4) * PG}
    if tdata_size:
        vals.update(_tdata_rva=tdata[3], _tdata_size=tdata_size, _tdata_align=tdata_align)
    if tbss_size:
        vals.update(_tbss_size=tbss_size, _tbss_align=tbss_align)
    for k, v in vals.items():
        if k in syms:
            struct.pack_into('<Q', img, syms[k], v)

    h = hashlib.sha256()
    h.update(struct.pack('<8sIQ44x', b'ECREATE', 1, secs_size))

    def add(off, fl, data, measure=True):
        h.update(struct.pack('<8sQQ40x', b'EADD', base + off, fl))
        if measure:
            for c in range(0, PG, 256):
                h.update(struct.pack('<8sQ48x', b'EEXTEND', base + off + c) + data[c:c + 256])
    for p in loads:
        fl = 0x200 | (p[1] & 4 and 1) | (p[1] & 2) | (p[1] & 1 and 4)
        for pg in range(p[3] // PG * PG, rup(p[3] + p[6], PG), PG):
            add(pg, fl, img[pg:pg + PG])
    rela = bytes(rela) + bytes(reloc_size - len(rela))
    for o in range(0, reloc_size, PG):
        add(image_size + o, 0x201, rela[o:o + PG])
    for i in range(heap):
        add(heap_rva + i * PG, 0x203, None, False)
    off = heap_rva + heap * PG
    zero = bytes(PG)
    for _ in range(tcs):
        off += PG
        for i in range(stack):
            add(off + i * PG, 0x203, b'\xcc' * PG)
        off += stack * PG + PG
        td = base + off + (tls + 4) * PG
        t = struct.pack('<QQQIIQQQQII', 0, 0, base + off + PG, 0, 2, base + entry, 0, td, td,
                        0xFFFFFFFF, 0xFFFFFFFF)
        add(off, 0x100, t + bytes(PG - len(t)))
        add(off + PG, 0x203, zero)
        add(off + 2 * PG, 0x203, zero)
        off += 4 * PG
        for i in range(tls + 1):
            add(off + i * PG, 0x203, zero)
        off += (tls + 1) * PG
    print(h.hexdigest())


main(sys.argv[1])
