/**
 * Reading an import file (CSV or JSONL, streamed): which column is which field (aliases, --map,
 * wide files' extra columns as attributes), each cell parsed to the API's input types, rows the
 * file itself makes invalid (a bad number, a duplicate key) refused with their line. What is left
 * is sent to the bulk mutations, which apply every other rule (src/cli/import.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import { TASK_NAME_PATTERN, TASK_NAME_RULE } from '../modules/common/task-name.ts';
import { ratingValueProblem } from '../modules/interactions/interaction-values.ts';
import type { RatingScale } from '../ml/recommender/ratings.ts';
import { FeedbackChannel, InteractionType } from './generated/graphql.ts';

export const IMPORT_ENTITIES = ['users', 'products', 'interactions', 'feedback', 'campaign-metrics'] as const;
export type ImportEntity = (typeof IMPORT_ENTITIES)[number];

/** A problem with the whole file or the command, found before anything was sent: exit code 2. */
export class ImportFileError extends Error {}

export type FileFormat = 'csv' | 'jsonl';

export class RowProblem extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'timestamp' | 'date' | 'json' | 'list';
interface FieldSpec {
  kind: Kind;
  aliases: string[];
  required?: boolean;
}

/** Known fields per entity with their column aliases (compared lower-cased, without _ - space .). */
const FIELDS: Record<ImportEntity, Record<string, FieldSpec>> = {
  users: {
    externalId: { kind: 'string', required: true, aliases: ['id', 'userid', 'customerid', 'user', 'customer', 'uid', 'userexternalid'] },
    email: { kind: 'string', aliases: ['emailaddress', 'mail'] },
    name: { kind: 'string', aliases: ['fullname', 'username'] },
    marketingConsent: { kind: 'boolean', aliases: ['consent', 'optin', 'emailoptin', 'marketingoptin'] },
    attributes: { kind: 'json', aliases: [] },
  },
  products: {
    externalId: { kind: 'string', required: true, aliases: ['id', 'productid', 'itemid', 'product', 'item', 'productexternalid'] },
    sku: { kind: 'string', aliases: [] },
    name: { kind: 'string', aliases: ['title', 'productname'] },
    description: { kind: 'string', aliases: ['desc'] },
    category: { kind: 'string', aliases: ['cat', 'categoryname'] },
    tags: { kind: 'list', aliases: ['tag'] },
    price: { kind: 'number', aliases: ['unitprice'] },
    active: { kind: 'boolean', aliases: ['enabled', 'onsale'] },
    attributes: { kind: 'json', aliases: [] },
  },
  interactions: {
    externalId: { kind: 'string', aliases: ['eventid', 'interactionid'] },
    userExternalId: { kind: 'string', required: true, aliases: ['userid', 'user', 'customerid', 'customer', 'uid', 'visitorid'] },
    productExternalId: { kind: 'string', required: true, aliases: ['productid', 'itemid', 'product', 'item', 'movieid'] },
    type: { kind: 'string', required: true, aliases: ['behavior', 'behaviour', 'behaviortype', 'behaviourtype', 'event', 'eventtype', 'action', 'interactiontype'] },
    occurredAt: { kind: 'timestamp', required: true, aliases: ['timestamp', 'ts', 'time', 'eventtime', 'datetime', 'date', 'createdat'] },
    value: { kind: 'number', aliases: ['quantity', 'qty', 'rating', 'amount'] },
    campaignExternalId: { kind: 'string', aliases: ['campaignid', 'campaign'] },
  },
  feedback: {
    externalId: { kind: 'string', aliases: ['id', 'feedbackid', 'reviewid', 'commentid'] },
    userExternalId: { kind: 'string', aliases: ['userid', 'user', 'customerid', 'customer'] },
    productExternalId: { kind: 'string', aliases: ['productid', 'itemid', 'product', 'item'] },
    campaignExternalId: { kind: 'string', aliases: ['campaignid', 'campaign'] },
    channel: { kind: 'string', aliases: ['source'] },
    text: { kind: 'string', required: true, aliases: ['review', 'comment', 'content', 'body', 'message', 'feedback'] },
    rating: { kind: 'integer', aliases: ['stars', 'score'] },
    language: { kind: 'string', aliases: ['lang'] },
    createdAt: { kind: 'timestamp', aliases: ['date', 'timestamp', 'time', 'writtenat'] },
  },
  'campaign-metrics': {
    campaignExternalId: { kind: 'string', required: true, aliases: ['campaignid', 'campaign', 'externalid'] },
    date: { kind: 'date', required: true, aliases: ['day'] },
    impressions: { kind: 'integer', required: true, aliases: ['imps', 'views'] },
    clicks: { kind: 'integer', required: true, aliases: [] },
    conversions: { kind: 'integer', required: true, aliases: ['conv', 'orders'] },
    spend: { kind: 'number', required: true, aliases: ['cost'] },
    revenue: { kind: 'number', aliases: ['sales'] },
  },
};

/**
 * Behaviour values → InteractionType (case-insensitive). The Taobao-style codes pv/buy/cart/fav
 * map to VIEW/PURCHASE/ADD_TO_CART/CLICK (a favourite is an explicit click of interest).
 */
export const BEHAVIOUR_TYPES: Record<string, string> = {
  pv: 'VIEW',
  view: 'VIEW',
  pageview: 'VIEW',
  page_view: 'VIEW',
  impression: 'VIEW',
  detail: 'VIEW',
  click: 'CLICK',
  fav: 'CLICK',
  favorite: 'CLICK',
  favourite: 'CLICK',
  like: 'CLICK',
  wishlist: 'CLICK',
  cart: 'ADD_TO_CART',
  addtocart: 'ADD_TO_CART',
  add_to_cart: 'ADD_TO_CART',
  'add-to-cart': 'ADD_TO_CART',
  basket: 'ADD_TO_CART',
  buy: 'PURCHASE',
  purchase: 'PURCHASE',
  order: 'PURCHASE',
  transaction: 'PURCHASE',
  checkout: 'PURCHASE',
  rating: 'RATING',
  rate: 'RATING',
  review: 'RATING',
};

/** Columns (normalised) whose values are ratings: a file with one and no type column holds RATING events. */
const RATING_COLUMNS: ReadonlySet<string> = new Set(['rating']);

// The schema's enum values (generated from schema.graphql): a value outside them would make the
// server refuse the whole request (variable coercion), so rows are checked here one by one.
const FEEDBACK_CHANNELS: readonly string[] = Object.values(FeedbackChannel);
const CHANNELS: ReadonlySet<string> = new Set(FEEDBACK_CHANNELS);
const INTERACTION_TYPE_SET: ReadonlySet<string> = new Set(Object.values(InteractionType));

/** `labels.<task>` (a --map target) or the task of a `label:<task>` / `labels.<task>` column (any case), by the task-name rule. */
const isLabelTarget = (field: string) => field.startsWith('labels.') && TASK_NAME_PATTERN.test(field.slice('labels.'.length));
function labelColumnTask(column: string): string | undefined {
  const task = /^labels?[.:](.+)$/i.exec(column)?.[1]?.toLowerCase();
  return task !== undefined && TASK_NAME_PATTERN.test(task) ? task : undefined;
}
/** Columns that open the `attributes` object of users/products (the rest of a wide file). */
const ATTRIBUTE_ENTITIES: ReadonlySet<ImportEntity> = new Set(['users', 'products']);
const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

const normalise = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s_\-.]/g, '');

interface ColumnPlan {
  /** Source column (or key) → target: a field, `attributes.<key>`, `labels.<task>` or null (ignored). */
  targets: Map<string, string | null>;
  columns: Record<string, string>;
  ignored: string[];
  /** interactions: the type of every row when the file has no type column but a rating column (MovieLens). */
  impliedType?: 'RATING';
}

/** Rules the import checks with the service's own definitions, so a dry run refuses what the service would. */
interface RowRules {
  ratingScale: RatingScale;
}

/** Maps a header to fields: --map overrides, then field names and aliases; the rest per entity. */
function planColumns(entity: ImportEntity, header: readonly string[], overrides: Record<string, string>, task: string): ColumnPlan {
  const fields = FIELDS[entity];
  const byAlias = new Map<string, string>();
  for (const [field, spec] of Object.entries(fields)) {
    byAlias.set(normalise(field), field);
    for (const alias of spec.aliases) if (!byAlias.has(alias)) byAlias.set(alias, field);
  }
  for (const [column, field] of Object.entries(overrides)) {
    if (field === '-' || fields[field] || (ATTRIBUTE_ENTITIES.has(entity) && field.startsWith('attributes.')) || (entity === 'feedback' && isLabelTarget(field))) continue;
    throw new ImportFileError(
      `--map ${column}=${field}: "${field}" is not a field of ${entity}. Fields: ${Object.keys(fields).join(', ')}${ATTRIBUTE_ENTITIES.has(entity) ? ', attributes.<key>' : ''}${entity === 'feedback' ? ', labels.<task>' : ''}, or - to ignore the column.`,
    );
  }
  const targets = new Map<string, string | null>();
  const taken = new Map<string, string>();
  const columns: Record<string, string> = {};
  const ignored: string[] = [];
  for (const raw of header) {
    const column = raw.trim();
    let target: string | null | undefined = overrides[column] ?? overrides[raw];
    if (target === '-') target = null;
    if (target === undefined) {
      const labelTask = entity === 'feedback' ? labelColumnTask(column) : undefined;
      if (entity === 'feedback' && normalise(column) === 'label') target = `labels.${task}`;
      else if (labelTask) target = `labels.${labelTask}`;
      else target = byAlias.get(normalise(column)) ?? (ATTRIBUTE_ENTITIES.has(entity) ? `attributes.${column}` : null);
      // A second column for the same field (e.g. both `id` and `externalId`) goes to attributes / is ignored.
      if (target && !target.includes('.') && taken.has(target)) target = ATTRIBUTE_ENTITIES.has(entity) ? `attributes.${column}` : null;
    }
    if (target && !target.startsWith('attributes.') && !target.startsWith('labels.')) {
      if (taken.has(target)) throw new ImportFileError(`Columns "${taken.get(target)}" and "${column}" both map to ${target}; ignore one with --map "${column}=-".`);
      taken.set(target, column);
    }
    targets.set(raw, target);
    if (target) columns[column] = target;
    else ignored.push(column);
  }
  // A ratings file (MovieLens: userId,movieId,rating,timestamp) names no type: each row is a RATING.
  const ratingColumn = taken.get('value');
  const impliedType = entity === 'interactions' && !taken.has('type') && ratingColumn !== undefined && RATING_COLUMNS.has(normalise(ratingColumn)) ? 'RATING' : undefined;
  return { targets, columns, ignored, ...(impliedType ? { impliedType } : {}) };
}

function assertRequired(entity: ImportEntity, plan: ColumnPlan, header: readonly string[]): void {
  const mapped = new Set(Object.values(plan.columns));
  const missing = Object.entries(FIELDS[entity])
    .filter(([, spec]) => spec.required)
    .map(([field]) => field)
    .filter((field) => !mapped.has(field) && !(field === 'type' && plan.impliedType));
  if (missing.length) {
    const hints = missing.map((field) => `${field} (column ${[field, ...FIELDS[entity][field]!.aliases].slice(0, 5).join(' / ')})`);
    throw new ImportFileError(
      `Missing required column${missing.length > 1 ? 's' : ''} for ${entity}: ${hints.join(', ')}. Found columns: ${header.map((h) => `"${h}"`).join(', ') || 'none'}. Map a column with --map <column>=<field>. Nothing was written.`,
    );
  }
}

/** Parses one cell/JSON value for a field kind; empty cells are null (a missing value). */
function coerce(field: string, kind: Kind, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && value.trim() === '' && kind !== 'string') return null;
  switch (kind) {
    case 'string':
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (typeof value !== 'string') throw new RowProblem('BAD_USER_INPUT', `${field}: must be text`);
      return value.trim() === '' ? null : value;
    case 'number':
    case 'integer': {
      const number = typeof value === 'number' ? value : typeof value === 'string' && NUMERIC.test(value.trim()) ? Number(value.trim()) : NaN;
      if (!Number.isFinite(number)) throw new RowProblem('BAD_USER_INPUT', `${field}: ${JSON.stringify(value)} is not a number`);
      if (kind === 'integer' && !Number.isInteger(number)) throw new RowProblem('BAD_USER_INPUT', `${field}: ${JSON.stringify(value)} is not a whole number`);
      return number;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const text = String(value).trim().toLowerCase();
      if (['true', 't', 'yes', 'y', '1'].includes(text)) return true;
      if (['false', 'f', 'no', 'n', '0'].includes(text)) return false;
      throw new RowProblem('BAD_USER_INPUT', `${field}: ${JSON.stringify(value)} is not a boolean (true/false, yes/no, 1/0)`);
    }
    case 'timestamp':
      return parseTimestamp(field, value);
    case 'date': {
      const text = String(value).trim();
      if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
      const parsed = parseTimestamp(field, value);
      return parsed.toISOString().slice(0, 10);
    }
    case 'json': {
      const parsed = typeof value === 'string' ? safeJson(value) : value;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RowProblem('BAD_USER_INPUT', `${field}: must be a JSON object`);
      return parsed;
    }
    case 'list':
      if (Array.isArray(value)) return value.map(String);
      return String(value)
        .split(/[|;,]/)
        .map((item) => item.trim())
        .filter(Boolean);
  }
}

/**
 * Timestamps: all digits → Unix time, in seconds below 10^11 and in milliseconds from there (so
 * 1511544070 and 1511544070000 are the same instant); otherwise ISO-8601, where a date-time
 * without a zone (`2017-11-25 01:21:10`) is taken as UTC.
 */
export function parseTimestamp(field: string, value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value).trim();
  let date: Date;
  if (/^\d{1,15}(\.\d+)?$/.test(text)) {
    const number = Number(text);
    date = new Date(number < 1e11 ? number * 1000 : number);
  } else {
    const iso = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(text) ? `${text.replace(' ', 'T')}${text.length > 10 ? 'Z' : 'T00:00:00Z'}` : text;
    date = new Date(iso);
  }
  if (Number.isNaN(date.getTime())) throw new RowProblem('BAD_USER_INPUT', `${field}: ${JSON.stringify(value)} is not a timestamp (ISO-8601 or Unix seconds)`);
  return date;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Cell text of a wide file's feature column: empty → missing (left out), numeric-looking → number. */
function attributeValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return undefined;
  return NUMERIC.test(text) ? Number(text) : text;
}

/** Builds the service input of one row from source values keyed by column. */
function toInput(entity: ImportEntity, plan: ColumnPlan, source: Record<string, unknown>, rules: RowRules): Record<string, unknown> {
  const fields = FIELDS[entity];
  const input: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  const labels: { task: string; label: string }[] = [];
  let hasAttributes = false;
  for (const [column, value] of Object.entries(source)) {
    const target = plan.targets.has(column) ? plan.targets.get(column) : planColumnOf(plan, column);
    if (!target) continue;
    if (target.startsWith('attributes.')) {
      hasAttributes = true;
      const attribute = attributeValue(value);
      if (attribute !== undefined && attribute !== null) attributes[target.slice('attributes.'.length)] = attribute;
      continue;
    }
    if (target.startsWith('labels.')) {
      const label = value === null || value === undefined ? '' : String(value).trim();
      if (label) labels.push({ task: target.slice('labels.'.length), label });
      continue;
    }
    const spec = fields[target]!;
    const parsed = coerce(target, spec.kind, value);
    if (target === 'attributes') {
      if (parsed) Object.assign(attributes, parsed);
      hasAttributes = true;
      continue;
    }
    input[target] = parsed;
  }
  if (hasAttributes) input.attributes = attributes;
  if (labels.length) input.labels = labels;
  if (plan.impliedType && (input.type === null || input.type === undefined)) input.type = plan.impliedType;
  for (const [field, spec] of Object.entries(fields)) {
    if (spec.required && (input[field] === null || input[field] === undefined)) {
      throw new RowProblem('BAD_USER_INPUT', `${field}: is required (empty cell)`);
    }
  }
  return finishInput(entity, input, rules);
}

/** JSONL rows may carry keys the first row did not: map them the same way. */
function planColumnOf(plan: ColumnPlan, column: string): string | null {
  return plan.targets.get(column) ?? null;
}

function finishInput(entity: ImportEntity, input: Record<string, unknown>, rules: RowRules): Record<string, unknown> {
  // Optional fields sent as null would clear stored values; an empty cell of the name means "keep".
  if (entity === 'products' && input.name === null) delete input.name;
  if (entity === 'interactions') {
    const raw = String(input.type).trim();
    const type = BEHAVIOUR_TYPES[raw.toLowerCase()] ?? raw.toUpperCase();
    if (!INTERACTION_TYPE_SET.has(type)) {
      throw new RowProblem('BAD_USER_INPUT', `type: "${raw}" is not a known behaviour (pv/view, click/fav, cart, buy/purchase, rating or an InteractionType)`);
    }
    input.type = type;
    // The service's rule, checked here too so a dry run reports the ratings the service would refuse.
    const ratingProblem = type === 'RATING' && typeof input.value === 'number' ? ratingValueProblem(rules.ratingScale, input.value) : null;
    if (ratingProblem) throw new RowProblem('BAD_USER_INPUT', `value: ${ratingProblem}`);
    for (const key of ['externalId', 'value', 'campaignExternalId']) if (input[key] === null) delete input[key];
  }
  if (entity === 'feedback') {
    input.channel = input.channel === null || input.channel === undefined ? 'REVIEW' : String(input.channel).trim().toUpperCase();
    if (!CHANNELS.has(input.channel as string)) throw new RowProblem('BAD_USER_INPUT', `channel: "${input.channel}" must be one of ${FEEDBACK_CHANNELS.join(', ')}`);
    for (const key of ['externalId', 'userExternalId', 'productExternalId', 'campaignExternalId', 'language', 'createdAt']) if (input[key] === null) delete input[key];
    // Without an id column, the row's content is its idempotency key: re-importing the file changes nothing.
    if (!input.externalId) {
      const content = JSON.stringify([input.userExternalId ?? '', input.productExternalId ?? '', input.campaignExternalId ?? '', input.channel, input.text, input.createdAt ?? '']);
      input.externalId = `import:${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;
    }
  }
  if (entity === 'campaign-metrics' && input.revenue === null) delete input.revenue;
  return input;
}

/** The key that must be unique in the file, or null (events without externalId: duplicates are the same event). */
function fileKey(entity: ImportEntity, input: Record<string, unknown>): string | null {
  switch (entity) {
    case 'campaign-metrics':
      return `${input.campaignExternalId}|${input.date}`;
    case 'interactions':
      return typeof input.externalId === 'string' ? input.externalId : null;
    default:
      return typeof input.externalId === 'string' ? input.externalId.trim() : null;
  }
}

function externalIdOf(entity: ImportEntity, input: Record<string, unknown> | null): string | null {
  if (!input) return null;
  const value = entity === 'campaign-metrics' ? input.campaignExternalId : input.externalId;
  return typeof value === 'string' ? value : null;
}

interface SourceRow {
  line: number;
  values: Record<string, unknown> | null;
  problem?: RowProblem;
}

export interface FileScan {
  /** Lines of the file (a bound on its rows, for the progress bar). */
  lines: number;
  bytes: number;
  /** SHA-256 of the content: a resumed run must read the same file. */
  sha256: string;
}

/** Checks the file is valid UTF-8, counts its lines and hashes it, streaming; throws before anything is sent. */
export async function scanFile(file: string): Promise<FileScan> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const hash = createHash('sha256');
  let lines = 0;
  let offset = 0;
  let lastByte = 10;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    try {
      decoder.decode(chunk, { stream: true });
    } catch {
      throw new ImportFileError(
        `${file} is not valid UTF-8 (an invalid byte sequence in bytes ${offset}..${offset + chunk.length}, after line ${lines + 1}). Re-save the file as UTF-8 (e.g. \`iconv -f GBK -t UTF-8\`); nothing was sent.`,
      );
    }
    hash.update(chunk);
    for (let i = 0; i < chunk.length; i += 1) if (chunk[i] === 10) lines += 1;
    offset += chunk.length;
    lastByte = chunk[chunk.length - 1] ?? lastByte;
  }
  try {
    decoder.decode();
  } catch {
    throw new ImportFileError(`${file} is not valid UTF-8 (it ends inside a multi-byte character). Re-save the file as UTF-8; nothing was sent.`);
  }
  return { lines: lastByte === 10 ? lines : lines + 1, bytes: offset, sha256: hash.digest('hex') };
}

/** Header + rows of a CSV file, streamed (csv-parse), with their line numbers. */
async function* csvRows(file: string, onHeader: (header: string[]) => void): AsyncGenerator<SourceRow> {
  const parser = fs.createReadStream(file).pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
  let header: string[] | null = null;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header) {
        header = record.map((name) => name.trim());
        onHeader(header);
        continue;
      }
      if (record.length !== header.length) {
        yield { line: info.lines, values: null, problem: new RowProblem('BAD_USER_INPUT', `row has ${record.length} values but the header has ${header.length} columns`) };
        continue;
      }
      const values: Record<string, unknown> = {};
      header.forEach((name, i) => (values[name] = record[i]));
      yield { line: info.lines, values };
    }
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ImportFileError(
      `${file}: the CSV cannot be parsed (${message}). Rows before that point were imported; fix the file and import it again (re-importing is idempotent).`,
    );
  }
  if (!header) throw new ImportFileError(`${file} is empty: a CSV file needs a header line.`);
}

/** Objects of a JSONL file, one per line, streamed. */
async function* jsonlRows(file: string, onFirst: (keys: string[]) => void): AsyncGenerator<SourceRow> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  let first = true;
  for await (const raw of lines) {
    line += 1;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (!text.trim()) continue;
    const parsed = safeJson(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      yield { line, values: null, problem: new RowProblem('BAD_USER_INPUT', parsed === undefined ? 'line is not valid JSON' : 'line must hold a JSON object') };
      continue;
    }
    if (first) {
      onFirst(Object.keys(parsed));
      first = false;
    }
    yield { line, values: parsed as Record<string, unknown> };
  }
}

/** The format of a file by its name, or an ImportFileError. */
export function fileFormat(file: string): FileFormat {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  throw new ImportFileError(`${file}: the file name must end in .csv or .jsonl (.ndjson).`);
}

/** The task of a plain `label` column, checked by the service's task-name rule. */
export function importTask(task: string | undefined): string {
  const name = (task ?? 'sentiment').trim();
  if (!TASK_NAME_PATTERN.test(name)) throw new ImportFileError(`--task "${name.slice(0, 60)}" must be ${TASK_NAME_RULE}.`);
  return name;
}

export interface ReadOptions {
  entity: ImportEntity;
  file: string;
  format: FileFormat;
  /** Column (or JSON key) → field overrides; a field of `-` ignores the column. */
  map: Record<string, string>;
  task: string;
  ratingScale: RatingScale;
}

/** One row of the file: the API input to send, or why the file itself makes it invalid. */
export type FileRow =
  | { line: number; input: Record<string, unknown>; externalId: string | null }
  | { line: number; input: null; externalId: string | null; code: string; message: string };

export interface FileColumns {
  /** Field each recognised column was mapped to. */
  columns: Record<string, string>;
  ignored: string[];
  /** Whether a column holds product names (else new products are named by their externalId). */
  hasName: boolean;
}

/**
 * Streams the rows of a file as API inputs. `columns()` describes the mapping once the header
 * (or first JSON line) was read. Throws ImportFileError for problems with the whole file.
 */
export function readFileRows(options: ReadOptions): { rows: AsyncGenerator<FileRow>; columns: () => FileColumns } {
  const { entity, map, task } = options;
  const rules: RowRules = { ratingScale: options.ratingScale };
  let plan: ColumnPlan | null = null;
  const makePlan = (header: string[]) => {
    plan = planColumns(entity, header, map, task);
    assertRequired(entity, plan, header);
  };
  const source = options.format === 'csv' ? csvRows(options.file, makePlan) : jsonlRows(options.file, makePlan);
  async function* rows(): AsyncGenerator<FileRow> {
    const seen = new Map<string, number>();
    for await (const row of source) {
      if (row.problem || !row.values) {
        yield { line: row.line, input: null, externalId: null, code: row.problem?.code ?? 'BAD_USER_INPUT', message: row.problem?.message ?? 'unreadable row' };
        continue;
      }
      const current = plan as ColumnPlan | null;
      if (!current) throw new ImportFileError(`${options.file}: no header was read.`);
      let input: Record<string, unknown>;
      try {
        if (options.format === 'jsonl') extendPlan(current, entity, Object.keys(row.values), map, task);
        input = toInput(entity, current, row.values, rules);
      } catch (error) {
        if (!(error instanceof RowProblem)) throw error;
        yield { line: row.line, input: null, externalId: rawExternalId(entity, current, row.values), code: error.code, message: error.message };
        continue;
      }
      const key = fileKey(entity, input);
      if (key !== null) {
        const first = seen.get(key);
        if (first !== undefined) {
          const what = entity === 'campaign-metrics' ? 'campaign and date' : 'externalId';
          yield {
            line: row.line,
            input: null,
            externalId: externalIdOf(entity, input),
            code: 'CONFLICT',
            message: `duplicate row: ${what} "${key}" already appeared on line ${first}`,
          };
          continue;
        }
        seen.set(key, row.line);
      }
      yield { line: row.line, input, externalId: externalIdOf(entity, input) };
    }
  }
  return {
    rows: rows(),
    columns: () => {
      const current = plan as ColumnPlan | null;
      const columns = current?.columns ?? {};
      return { columns, ignored: current?.ignored ?? [], hasName: Object.values(columns).includes('name') };
    },
  };
}

/** JSONL: keys first seen on a later line are planned like the first line's. */
function extendPlan(plan: ColumnPlan, entity: ImportEntity, keys: string[], overrides: Record<string, string>, task: string): void {
  const fresh = keys.filter((key) => !plan.targets.has(key));
  if (fresh.length === 0) return;
  const extra = planColumns(entity, fresh, overrides, task);
  for (const [key, target] of extra.targets) {
    const clash = target && !target.includes('.') && Object.values(plan.columns).includes(target);
    plan.targets.set(key, clash ? null : target);
    if (target && !clash) plan.columns[key] = target;
    else plan.ignored.push(key);
  }
}

function rawExternalId(entity: ImportEntity, plan: ColumnPlan, values: Record<string, unknown>): string | null {
  const wanted = entity === 'campaign-metrics' ? 'campaignExternalId' : 'externalId';
  for (const [column, target] of plan.targets) if (target === wanted && typeof values[column] === 'string') return values[column] as string;
  return null;
}
