/** Just enough of a zip reader to look inside archives found in artifacts (a terraform plan file is a zip). */
import { gunzipSync, inflateRawSync } from 'node:zlib';

export const isZip = (buf: Buffer): boolean => buf.length > 22 && buf.readUInt32LE(0) === 0x04034b50;
export const isGzip = (buf: Buffer): boolean => buf.length > 18 && buf[0] === 0x1f && buf[1] === 0x8b;

/** The entries (stored or deflated) of a zip, from its central directory. */
export function unzip(buf: Buffer): { name: string; data: Buffer }[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--)
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) return [];
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: { name: string; data: Buffer }[] = [];
  for (let n = 0; n < count && p + 46 <= buf.length && buf.readUInt32LE(p) === 0x02014b50; n++) {
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    if (method === 0) out.push({ name, data: raw });
    else if (method === 8) out.push({ name, data: inflateRawSync(raw) });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

export function gunzip(buf: Buffer): Buffer | undefined {
  try {
    return gunzipSync(buf);
  } catch {
    return undefined;
  }
}
