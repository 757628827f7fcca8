/** A flat `[field, value, ...]` reply (from HGETALL inside a script) as an object. */
export function fieldsToRecord(fields: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (Array.isArray(fields)) {
    for (let index = 0; index + 1 < fields.length; index += 2) {
      record[String(fields[index])] = String(fields[index + 1]);
    }
  }
  return record;
}

/** Parses JSON kept in a Redis field; `fallback` for a missing field. */
export function parseField<T>(value: string | undefined | null, fallback: T): T {
  return value === undefined || value === null ? fallback : (JSON.parse(value) as T);
}

/** Whether an HGETALL reply names an existing hash. */
export function isPresent(record: Record<string, string>): boolean {
  return Object.keys(record).length > 0;
}
