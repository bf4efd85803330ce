// The probe's public surface.
export { runProbeCommand, ProbeUsageError, type ProbeCliOptions } from './cli.js';
export { scanHost, DEFAULT_TARGETS, type ScanOptions, type ScanTarget, type ClientMode } from './scanner.js';
export { formatReport } from './format.js';
export {
  ProbeReportSchema,
  probeReportJsonSchema,
  REPORT_SCHEMA_ID,
  type ProbeReport,
  type PortReport,
  type Diagnosis,
  type Severity,
} from './report.js';
export { matchServerName, type NameMatch, type CertificateNames } from './hostname.js';
export { ServerFlightReader, parseServerHello, type ServerHelloInfo, type ServerFlight } from './tls-records.js';
