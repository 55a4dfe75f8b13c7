// Minimal DER reader, just enough for Intel's SGX extension in PCK certificates
// (SEQUENCE / OID / INTEGER / OCTET STRING / ENUMERATED). Kept local so the verifier does not
// depend on a transitive ASN.1 package.

/** One DER element: tag, contents, and total length consumed. */
export interface DerNode {
  tag: number;
  value: Uint8Array;
  end: number;
}

/** Read one element at `off`; throws on truncation or long-form lengths over 4 bytes. */
export function readDer(b: Uint8Array, off = 0): DerNode {
  const tag = b[off];
  let lenByte = b[off + 1];
  if (tag === undefined || lenByte === undefined) throw new Error('DER: truncated header');
  let p = off + 2;
  let len = lenByte;
  if (lenByte & 0x80) {
    const n = lenByte & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) {
      lenByte = b[p++];
      if (lenByte === undefined) throw new Error('DER: truncated length');
      len = len * 256 + lenByte;
    }
  }
  if (p + len > b.length) throw new Error('DER: truncated value');
  return { tag, value: b.subarray(p, p + len), end: p + len };
}

/** The children of a constructed element's contents. */
export function derChildren(value: Uint8Array): DerNode[] {
  const out: DerNode[] = [];
  let p = 0;
  while (p < value.length) {
    const n = readDer(value, p);
    out.push(n);
    p = n.end;
  }
  return out;
}

/** Decode an OBJECT IDENTIFIER's contents to dotted form. */
export function derOid(value: Uint8Array): string {
  const parts: number[] = [];
  let acc = 0;
  for (const byte of value) {
    acc = acc * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(acc);
      acc = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

/** Decode a non-negative INTEGER/ENUMERATED (small values only). */
export function derUint(value: Uint8Array): number {
  let n = 0;
  for (const byte of value) n = n * 256 + byte;
  return n;
}
