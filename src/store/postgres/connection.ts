// Connection settings shared by the pool and the store's dedicated clients.
import pg from 'pg';

const INT8_OID = 20;

// int8 columns (ids, UIDs, modseqs, sizes) as numbers: every value the store keeps fits in
// 2^53 (UIDs and UIDVALIDITY are 32-bit, RFC 9051 §9; modseqs grow by one per change).
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** `role` names the connection in pg_stat_activity (e.g. `postern-listen:<schema>`). */
export function clientConfig(url: string, role: string): pg.ClientConfig {
  return { connectionString: url, types, application_name: role.slice(0, 63) };
}
