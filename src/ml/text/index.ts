export { tokenize, words, normalizeText, displayFeature, DEFAULT_TOKENIZE_OPTIONS, type TokenizeOptions } from './tokenizer.js';
export { detectLanguage, type Language } from './language.js';
export { TfidfVectorizer, type SparseVector } from './vectorizer.js';
export {
  findPersonalIdentifiers,
  hasPersonalIdentifier,
  redactPersonalIdentifiers,
  personalIdentifierPlaceholder,
  type PersonalIdentifierKind,
  type PersonalIdentifierMatch,
} from './personal-identifiers.js';
