/**
 * The order of strings wherever training orders its input by content: UTF-16 code units, the
 * same in every database and locale (a database collation or localeCompare is neither).
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
