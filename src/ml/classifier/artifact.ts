/**
 * Compact binary container: "TXC1" magic, uint32 header length, UTF-8 JSON
 * header, zero padding to a 4-byte boundary, then raw little-endian Float32
 * buffers in the order listed in the header. Strings (vocabulary, labels) live
 * in the JSON; all numbers that scale with the vocabulary live in the buffers.
 */
const MAGIC = 'TXC1';

export interface ArtifactParts<H> {
  header: H;
  buffers: Record<string, Float32Array>;
}

export function encodeArtifact<H extends object>(header: H, buffers: Record<string, Float32Array>): Uint8Array {
  const names = Object.keys(buffers);
  const json = new TextEncoder().encode(JSON.stringify({ ...header, buffers: names.map((name) => ({ name, length: buffers[name].length })) }));
  const headerEnd = 8 + json.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const total = dataStart + names.reduce((s, n) => s + buffers[n].length * 4, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, json.length, true);
  out.set(json, 8);
  let offset = dataStart;
  for (const name of names) {
    const b = buffers[name];
    const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (isLittleEndian()) out.set(bytes, offset);
    else for (let i = 0; i < b.length; i++) view.setFloat32(offset + i * 4, b[i], true);
    offset += b.byteLength;
  }
  return out;
}

export function decodeArtifact<H>(artifact: Uint8Array): ArtifactParts<H> {
  if (artifact.length < 8 || String.fromCharCode(...artifact.subarray(0, 4)) !== MAGIC) {
    throw new Error('not a text-classifier artifact (bad magic)');
  }
  const view = new DataView(artifact.buffer, artifact.byteOffset, artifact.byteLength);
  const jsonLength = view.getUint32(4, true);
  if (8 + jsonLength > artifact.length) throw new Error('truncated text-classifier artifact');
  const parsed = JSON.parse(new TextDecoder().decode(artifact.subarray(8, 8 + jsonLength))) as H & {
    buffers: { name: string; length: number }[];
  };
  let offset = Math.ceil((8 + jsonLength) / 4) * 4;
  const buffers: Record<string, Float32Array> = {};
  for (const { name, length } of parsed.buffers) {
    if (offset + length * 4 > artifact.length) throw new Error('truncated text-classifier artifact');
    // Copy so the result is aligned and independent of the caller's buffer.
    const b = new Float32Array(length);
    for (let i = 0; i < length; i++) b[i] = view.getFloat32(offset + i * 4, true);
    buffers[name] = b;
    offset += length * 4;
  }
  const { buffers: _, ...header } = parsed;
  return { header: header as H, buffers };
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
