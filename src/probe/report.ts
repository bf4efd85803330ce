// The probe's report: one zod schema that is both the TypeScript type and the published JSON
// Schema of `postern probe --json` (src/probe/report.schema.json is generated from it and
// checked in; a test keeps the two equal). The schema is a public contract: extend it, never
// rename or remove fields; a breaking change would get a new `schema` value.
import { z } from 'zod';

export const REPORT_SCHEMA_ID = 'postern-probe/1';

const nullableString = z.string().nullable();

export const SeveritySchema = z.enum(['info', 'warning', 'failure']);

export const DiagnosisSchema = z
  .object({
    /** Stable machine-readable id, e.g. "implicit-tls-on-starttls-port". */
    id: z.string(),
    severity: SeveritySchema,
    /** One line in plain words. */
    title: z.string(),
    /** What it means for the people using the server. */
    explanation: z.string(),
    /** What the probe saw that proves it. */
    evidence: z.array(z.string()),
    /** What to change. */
    fix: z.string(),
  })
  .strict();

export const CertificateSchema = z
  .object({
    subject: z.string(),
    issuer: z.string(),
    commonName: nullableString,
    dnsNames: z.array(z.string()),
    ipAddresses: z.array(z.string()),
    validFrom: z.string(),
    validTo: z.string(),
    daysLeft: z.number().int(),
    key: z.object({ type: z.string(), bits: z.number().int().nullable(), curve: nullableString }).strict(),
    signatureAlgorithm: nullableString,
    selfSigned: z.boolean(),
    isCa: z.boolean(),
    fingerprint256: z.string(),
    serialNumber: z.string(),
  })
  .strict();

export const TlsDetailsSchema = z
  .object({
    via: z.enum(['implicit', 'starttls']),
    version: z.string(),
    cipher: z.string(),
    cipherStandardName: nullableString,
    keyExchange: z.object({ type: z.string(), name: nullableString, bits: z.number().int() }).strict().nullable(),
    alpn: nullableString,
    certificate: z
      .object({
        chain: z.array(CertificateSchema),
        trusted: z.boolean(),
        verifyError: nullableString,
        hostname: z
          .object({
            name: z.string(),
            matched: z.boolean(),
            matchedBy: z.enum(['dns', 'wildcard', 'ip', 'common-name']).nullable(),
            detail: z.string(),
          })
          .strict(),
      })
      .strict()
      .nullable(),
    /** Plaintext bytes that arrived after the STARTTLS answer and were dropped (RFC 3207 §4.2). */
    discardedBytesBeforeHandshake: z.number().int().nullable(),
  })
  .strict();

export const TlsVersionSchema = z.enum(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);

export const VersionResultSchema = z
  .object({
    version: TlsVersionSchema,
    accepted: z.boolean().nullable(),
    cipher: nullableString,
    /** Plain-words outcome, including any alert ("refused: alert protocol_version (70)"). */
    detail: z.string(),
  })
  .strict();

const CheckSchema = z.object({ tested: z.boolean(), detail: z.string() });

export const ResumptionSchema = z
  .object({
    sessionId: CheckSchema.extend({ issued: z.boolean().nullable(), resumed: z.boolean().nullable() }).strict(),
    ticketTls12: CheckSchema.extend({ issued: z.boolean().nullable(), resumed: z.boolean().nullable() }).strict(),
    ticketTls13: CheckSchema.extend({ issued: z.boolean().nullable(), resumed: z.boolean().nullable() }).strict(),
  })
  .strict();

export const ViewSchema = z
  .object({
    /** Source address the view was taken from (null: chosen by the OS). */
    source: nullableString,
    greeting: nullableString,
    capabilities: z.array(z.string()),
    authMechanisms: z.array(z.string()),
    /** Cleartext password methods offered (null: unknown for this protocol). */
    cleartextMethods: z.array(z.string()).nullable(),
    starttls: z.boolean().nullable(),
  })
  .strict();

export const FtpChecksSchema = z
  .object({
    cleartextUser: z.object({ tested: z.boolean(), accepted: z.boolean().nullable(), reply: nullableString }).strict(),
    protP: z.object({ tested: z.boolean(), ok: z.boolean().nullable(), reply: nullableString }).strict(),
    pasv: z
      .object({ tested: z.boolean(), announced: nullableString, controlAddress: nullableString, problem: nullableString })
      .strict(),
    /** Data connection resuming the control connection's TLS session. */
    resumedData: CheckSchema.extend({ ok: z.boolean().nullable(), resumed: z.boolean().nullable() }).strict(),
    /** Data connection with a fresh TLS session (no resumption). */
    freshData: CheckSchema.extend({ accepted: z.boolean().nullable() }).strict(),
    /** Data connection resuming a different control connection's session. */
    foreignData: CheckSchema.extend({ accepted: z.boolean().nullable() }).strict(),
  })
  .strict();

export const PortReportSchema = z
  .object({
    port: z.number().int(),
    protocol: z.enum(['smtp', 'imap', 'pop3', 'ftp']).nullable(),
    /** How a client is expected to connect: from --mode, else the port's convention. */
    expectedMode: z.enum(['plain', 'starttls', 'tls']).nullable(),
    status: z.enum(['open', 'refused', 'timeout', 'unreachable', 'error']),
    /** What the port speaks, found by trying both ways. */
    mode: z.enum(['starttls', 'plain', 'tls', 'dual', 'silent', 'unknown']).nullable(),
    modeEvidence: z.object({ plaintext: z.string(), implicitTls: z.string() }).strict(),
    banner: nullableString,
    beforeTls: ViewSchema.nullable(),
    afterTls: ViewSchema.nullable(),
    starttls: z.object({ offered: z.boolean().nullable(), accepted: z.boolean().nullable(), reply: nullableString }).strict().nullable(),
    tls: TlsDetailsSchema.nullable(),
    versions: z.array(VersionResultSchema),
    anonymousCiphers: CheckSchema.extend({ accepted: z.boolean().nullable(), cipher: nullableString }).strict(),
    /** Extended Master Secret (RFC 7627) on TLS 1.2, read from the ServerHello. */
    ems: CheckSchema.extend({ supported: z.boolean().nullable() }).strict(),
    resumption: ResumptionSchema,
    alpn: CheckSchema.extend({
      offered: z.array(z.string()),
      outcome: z.enum(['refused', 'ignored', 'selected', 'error']).nullable(),
      selected: nullableString,
    }).strict(),
    starttlsInjection: CheckSchema.extend({ vulnerable: z.boolean().nullable() }).strict(),
    trustedView: z
      .object({ serverSelfSource: z.string(), remoteSource: z.string(), serverSelf: ViewSchema.nullable(), differences: z.array(z.string()) })
      .strict()
      .nullable(),
    login: z.object({ attempted: z.boolean(), ok: z.boolean().nullable(), method: nullableString, detail: z.string() }).strict().nullable(),
    ftp: FtpChecksSchema.nullable(),
    durationMs: z.number().int(),
    verdict: z.enum(['ok', 'warning', 'failure', 'closed']),
    diagnoses: z.array(DiagnosisSchema),
  })
  .strict();

export const ProbeReportSchema = z
  .object({
    schema: z.literal(REPORT_SCHEMA_ID),
    host: z.string(),
    /** The address connected to. */
    address: nullableString,
    /** The name certificates are checked against (the host unless told otherwise). */
    servername: z.string(),
    /** Source address used for the probe connections (null: chosen by the OS). */
    source: nullableString,
    startedAt: z.string(),
    durationMs: z.number().int(),
    options: z
      .object({
        timeoutSeconds: z.number(),
        mode: z.enum(['plain', 'starttls', 'tls']).nullable(),
        protocol: z.enum(['smtp', 'imap', 'pop3', 'ftp']).nullable(),
        ca: z.boolean(),
        login: z.boolean(),
      })
      .strict(),
    verdict: z.enum(['ok', 'warning', 'failure']),
    /** 0 clean, 1 warnings, 2 failures — the CLI's exit code. */
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    ports: z.array(PortReportSchema),
    /** Findings about the host as a whole (certificates differing between ports, probing from
     * the server itself). */
    diagnoses: z.array(DiagnosisSchema),
  })
  .strict();

export type Severity = z.infer<typeof SeveritySchema>;
export type Diagnosis = z.infer<typeof DiagnosisSchema>;
export type CertificateReport = z.infer<typeof CertificateSchema>;
export type TlsDetails = z.infer<typeof TlsDetailsSchema>;
export type VersionResult = z.infer<typeof VersionResultSchema>;
export type View = z.infer<typeof ViewSchema>;
export type FtpChecks = z.infer<typeof FtpChecksSchema>;
export type PortReport = z.infer<typeof PortReportSchema>;
export type ProbeReport = z.infer<typeof ProbeReportSchema>;

/** The JSON Schema (draft 2020-12) of `postern probe --json`. */
export function probeReportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ProbeReportSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $id: 'https://postern.invalid/schemas/probe-report-1.json',
    title: 'postern probe report',
    ...schema,
  };
}
