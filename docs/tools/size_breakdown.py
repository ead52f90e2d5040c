#!/usr/bin/env python3
"""Breakdown of a Vireo data file: pages by type, leaf fill, bytes per leaf cell (slot, cell
header, key, record header, record payload), and the files beside it. Usage:
`python3 size_breakdown.py PATH/db.vireo` (docs/benchmarks-sql.md, "File size")."""
import struct, sys, os, collections
path = sys.argv[1]
P = 8192
data = open(path, 'rb').read()
n = len(data) // P
types = collections.Counter()
names = {1: 'meta', 2: 'leaf', 3: 'interior', 4: 'overflow', 5: 'free'}
leaf_used = leaf_cap = 0
cells = 0
tagged = [0]  # rows whose row-id column is a tag only (its id is in the key)
acc = collections.Counter()
acc_keys = collections.Counter()  # cells by key form (an 8-byte key may be a row id or not)
def varint(b, o):
    r = s = 0
    while True:
        x = b[o]; o += 1; r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, o
def is_row_key(key):
    """A row-id key: 8 bytes (fixed form) or a compact one, whose class byte 0x80 + L
    (id >= 0) or 0x7F - L (id < 0) gives its length 1 + L (KeyCodec+RowID.swift)."""
    if len(key) == 8: return True
    c = key[0] if key else 0
    length = c - 0x80 if c >= 0x80 else 0x7F - c
    return 0 <= length <= 8 and len(key) == 1 + length
for p in range(n):
    pg = data[p*P:(p+1)*P]
    t = names.get(pg[4], '?'); types[t] += 1
    if t != 'leaf': continue
    types['  of which compact' if pg[30] & 1 else '  of which legacy'] += 1
    count, start, frag = struct.unpack_from('<HHH', pg, 24)
    leaf_cap += P - 40
    gap = start - 40 - 2*count
    leaf_used += P - 40 - gap - frag
    acc['fragmented'] += frag
    for i in range(count):
        off = struct.unpack_from('<H', pg, 40 + 2*i)[0]
        if pg[30] & 1:  # compact leaf: key length varint, (value length << 1 | overflow) varint
            kl, o = varint(pg, off); vw, o = varint(pg, o); vl, ovf = vw >> 1, vw & 1
        else:           # legacy leaf (format version 1): key length u16, flags u8, value length u32
            kl, fl, vl = struct.unpack_from('<HBI', pg, off); ovf = fl & 1; o = off + 7
        acc['cell header'] += o - off
        acc['slot'] += 2; acc['key'] += kl; cells += 1
        if kl == 8: acc_keys['8-byte keys'] += 1
        elif is_row_key(pg[o:o+kl]): acc_keys['compact row-id keys'] += 1
        if ovf: acc['overflow ref'] += 4; continue
        rec = pg[o+kl:o+kl+vl]
        key = pg[o:o+kl]
        if is_row_key(key) and len(rec) > 2:  # a table row; else index or catalog
            ncol, q = varint(rec, 0); rflags = rec[q]; q += 1
            if rflags & 4:   # compact record
                start_q = q
                for _ in range(ncol):
                    b = rec[q]; q += 1
                    if b == 13: tagged[0] += 1
                    if b >> 4 == 15: _, q = varint(rec, q)
                acc['record header'] += q
            else:
                w = 1 << (rflags & 3); q += ncol * (1 + w)
                acc['record header'] += q
            acc['record payload'] += len(rec) - q
        else:
            acc['other values (index/catalog)'] += vl
print(f"file {path}: {len(data)} bytes, {n} pages of {P}, format version {struct.unpack_from('<I', data, 32)[0]}")
for k, v in types.most_common(): print(f"  {k:9} {v:6} pages")
print(f"leaf fill: {100*leaf_used/max(1,leaf_cap):.1f}% of {leaf_cap} usable bytes; {cells} cells")
for k, v in acc.most_common(): print(f"  {k:30} {v:9} bytes  {v/max(1,cells):6.2f} per cell")
print(f"  rows whose id column is only a tag: {tagged[0]}")
for k, v in acc_keys.most_common(): print(f"  cells with {k}: {v}")
for f in sorted(os.listdir(os.path.dirname(os.path.abspath(path)))):
    print(f"  file {f}: {os.path.getsize(os.path.join(os.path.dirname(os.path.abspath(path)), f))} bytes")
