/**
 * JSON.parse takes time in proportion to the values of a document, and most of all to the
 * members of one object (a dictionary grows): a 12 MB body of a million members held the event
 * loop for 1.2–1.7 s, one object of 250,000 members for 0.34 s, while 250,000 values in 12,500
 * ordinary rows parse in ~35 ms (docs/benchmarks.md). So a body is also limited in values
 * (MAX_BODY_VALUES) and in members per object (MAX_JSON_OBJECT_MEMBERS), counted on the raw bytes
 * before parsing: every `{`, `[` and `,` outside strings starts at most one more value. Strings
 * are skipped with a native search for their closing quote, so long texts cost next to nothing
 * (2 ms for 5 MB of classify texts); bodies too short to exceed either limit are not scanned.
 */

/** Members one JSON object of a request may have (attributes and variables objects are far smaller). */
export const MAX_JSON_OBJECT_MEMBERS = 10_000;

export type JsonLimit = 'values' | 'members';

export function jsonBodyExceeds(body: Uint8Array, maxValues: number): JsonLimit | null {
  const maxMembers = MAX_JSON_OBJECT_MEMBERS;
  // Each value beyond the first needs at least a separator and one character.
  if (body.length < 2 * Math.min(maxValues > 0 ? maxValues : Number.POSITIVE_INFINITY, maxMembers)) return null;
  let values = 1;
  let inString = false;
  // Members so far of each open object (-1 for an array), innermost last.
  const open: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (inString) {
      // Jump to the next quote (native search: long texts cost next to nothing); it ends the
      // string unless an odd number of backslashes escapes it.
      const quote = body.indexOf(0x22, i);
      if (quote < 0) break;
      let backslashes = 0;
      for (let b = quote - 1; b >= i && body[b] === 0x5c; b--) backslashes++;
      if (backslashes % 2 === 0) inString = false;
      i = quote;
      continue;
    }
    const byte = body[i]!;
    switch (byte) {
      case 0x22:
        inString = true;
        continue;
      case 0x7b: // {
        open.push(1);
        break;
      case 0x5b: // [
        open.push(-1);
        break;
      case 0x7d: // }
      case 0x5d: // ]
        open.pop();
        continue;
      case 0x2c: {
        // ,
        const last = open.length - 1;
        if (last >= 0 && open[last]! >= 0 && ++open[last]! > maxMembers) return 'members';
        break;
      }
      default:
        continue;
    }
    if (maxValues > 0 && ++values > maxValues) return 'values';
  }
  return null;
}

/** The error express' body parser turns into HTTP 413 (answered as PAYLOAD_TOO_LARGE). */
export class TooManyJsonValues extends Error {
  readonly status = 413;
  readonly type = 'entity.too.large';
  constructor(limit: JsonLimit, maxValues: number) {
    super(
      limit === 'values'
        ? `the request body holds more than ${maxValues} JSON values (MAX_BODY_VALUES); send fewer rows per request`
        : `a JSON object of the request body has more than ${MAX_JSON_OBJECT_MEMBERS} members`,
    );
  }
}
