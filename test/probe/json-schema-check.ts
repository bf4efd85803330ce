// A JSON Schema checker for the keywords the probe report schema uses (type, properties,
// required, additionalProperties: false, enum, const, anyOf, items, minimum, maximum), so the
// --json output is checked against the published file itself, not only the zod source.
type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, v: unknown): boolean {
  const t = typeOf(v);
  return want === t || (want === 'number' && t === 'integer');
}

const KNOWN = new Set(['$id', '$schema', 'title', 'description', 'type', 'properties', 'required', 'additionalProperties', 'enum', 'const', 'anyOf', 'items', 'minimum', 'maximum']);

/** Returns the list of violations (empty when valid). Unknown keywords are reported too, so the
 * checker cannot silently pass a schema it does not understand. */
export function checkJsonSchema(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) errors.push(`${path}: schema keyword ${k} not supported by the checker`);
  if (schema.anyOf) {
    const branches = (schema.anyOf as Schema[]).map((s) => checkJsonSchema(s, value, path));
    if (!branches.some((b) => b.length === 0)) errors.push(`${path}: matches no anyOf branch (${branches.map((b) => b[0]).join(' | ')})`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeMatches(t, value))) errors.push(`${path}: expected ${types.join('|')}, got ${typeOf(value)}`);
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: below minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: above maximum`);
  }
  if (typeOf(value) === 'object' && schema.properties) {
    const obj = value as Record<string, unknown>;
    const props = schema.properties as Record<string, Schema>;
    for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in obj)) errors.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...checkJsonSchema(props[k]!, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${k}`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => errors.push(...checkJsonSchema(schema.items as Schema, item, `${path}[${i}]`)));
  return errors;
}
