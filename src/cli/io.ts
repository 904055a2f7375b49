// Reading inputs defensively: unreadable, binary or oddly encoded files get a
// clear message instead of a stack trace.

import * as fs from 'node:fs';

export type ReadResult =
  | { ok: true; text: string; warnings: string[] }
  | { ok: false; message: string };

/** Files larger than this are not reviewed (generated register headers and the like). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

export function decodeText(buf: Uint8Array): ReadResult {
  const warnings: string[] = [];
  const sample = buf.subarray(0, 8192);
  if (sample.includes(0)) {
    // UTF-16 with a BOM is text; other NUL bytes mean binary.
    if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
      const le = buf[0] === 0xff;
      const text = new TextDecoder(le ? 'utf-16le' : 'utf-16be').decode(buf.subarray(2));
      return { ok: true, text, warnings: ['decoded as UTF-16'] };
    }
    return { ok: false, message: 'binary file (contains NUL bytes), not reviewed' };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    // Latin-1 kernel sources still exist; every byte maps to a character, offsets stay aligned.
    text = new TextDecoder('latin1').decode(buf);
    warnings.push('not valid UTF-8; decoded as Latin-1');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ok: true, text, warnings };
}

export function readTextFile(path: string, maxBytes = MAX_FILE_BYTES): ReadResult {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, message: code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? String(e)})` };
  }
  if (st.isDirectory()) return { ok: false, message: 'is a directory' };
  if (st.size > maxBytes) return { ok: false, message: `file is ${(st.size / 1048576).toFixed(1)} MiB, over the ${(maxBytes / 1048576).toFixed(0)} MiB limit; not reviewed` };
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, message: code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? String(e)})` };
  }
  return decodeText(buf);
}
