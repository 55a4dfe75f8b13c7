// Byte helpers shared by the quote, event-log and report_data code. Pure (no Buffer, no
// node: imports) so the same code runs in the browser verifier.

/** Error raised for malformed TDX inputs (quotes, event logs, hex); `code` is stable. */
export class TdxFormatError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TdxFormatError';
    this.code = code;
  }
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Decode hex (optionally `0x`-prefixed, either case) into bytes; throws on odd length or non-hex. */
export function hexToBytes(hex: string, what = 'hex'): Uint8Array {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (!HEX_RE.test(h)) throw new TdxFormatError('bad_hex', `${what} is not valid hex`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Encode bytes as lowercase hex without a prefix. */
export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX_DIGITS[b];
  return s;
}

/** Concatenate byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Constant-shape equality of two byte arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

/** True when every byte is zero. */
export function isAllZero(a: Uint8Array): boolean {
  return a.every((b) => b === 0);
}

/** UTF-8 encode a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Little-endian unsigned 16-bit integer at `off`. */
export function readU16(b: Uint8Array, off: number): number {
  return (b[off] as number) | ((b[off + 1] as number) << 8);
}

/** Little-endian unsigned 32-bit integer at `off`. */
export function readU32(b: Uint8Array, off: number): number {
  return ((b[off] as number) | ((b[off + 1] as number) << 8) | ((b[off + 2] as number) << 16)) + (b[off + 3] as number) * 0x1000000;
}

/** 2 bytes little-endian. */
export function u16le(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new TdxFormatError('bad_integer', `${n} does not fit in u16`);
  return Uint8Array.of(n & 0xff, n >>> 8);
}

/** 4 bytes little-endian. */
export function u32le(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TdxFormatError('bad_integer', `${n} does not fit in u32`);
  return Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

/** Copy `src` into a zero-filled array of exactly `len` bytes; throws if it is longer. */
export function fixedBytes(src: Uint8Array | undefined, len: number, what: string): Uint8Array {
  const out = new Uint8Array(len);
  if (src === undefined) return out;
  if (src.length !== len) throw new TdxFormatError('bad_length', `${what} must be ${len} bytes, got ${src.length}`);
  out.set(src);
  return out;
}
