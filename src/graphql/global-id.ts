import { userInputError } from './errors.ts';

/** Types that implement Node; the prefix inside every global ID. */
export type NodeType = 'User' | 'Product' | 'Interaction' | 'Feedback' | 'Campaign' | 'ModelVersion' | 'TrainingJob';
const NODE_TYPES: ReadonlySet<string> = new Set<NodeType>(['User', 'Product', 'Interaction', 'Feedback', 'Campaign', 'ModelVersion', 'TrainingJob']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toGlobalId(type: NodeType, localId: string | bigint): string {
  return Buffer.from(`${type}:${localId}`, 'utf8').toString('base64url');
}

export function parseGlobalId(globalId: string): { type: NodeType; localId: string } | null {
  if (globalId.length > 200) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  // Node's decoder skips characters outside the alphabet: only the canonical spelling (base64url,
  // or base64 with optional padding) names a row, so `%<id>` or `<id>!` are not aliases of `<id>`.
  if (Buffer.from(decoded, 'utf8').toString('base64url') !== globalId.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')) return null;
  const separator = decoded.indexOf(':');
  if (separator < 0) return null;
  const type = decoded.slice(0, separator);
  const localId = decoded.slice(separator + 1);
  if (!NODE_TYPES.has(type)) return null;
  const valid = type === 'Interaction' ? /^\d{1,19}$/.test(localId) : UUID.test(localId);
  return valid ? { type: type as NodeType, localId } : null;
}

/** Decodes an ID argument that must name a `type`; a malformed or foreign ID is the caller's error. */
export function localIdOf(type: NodeType, globalId: string, argument = 'id'): string {
  const parsed = parseGlobalId(globalId);
  if (!parsed || parsed.type !== type) {
    throw userInputError(`${argument} "${truncate(globalId)}" is not a valid ${type} ID.`, { argument });
  }
  return parsed.localId;
}

/** Like localIdOf, but for batch rows: returns null instead of throwing. */
export function tryLocalIdOf(type: NodeType, globalId: string): string | null {
  const parsed = parseGlobalId(globalId);
  return parsed && parsed.type === type ? parsed.localId : null;
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}
