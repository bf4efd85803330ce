// Helpers for probe tests: run a scan, pick diagnoses, validate the report against its schema.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import { scanHost, type ScanOptions } from '../../src/probe/scanner.js';
import { ProbeReportSchema, type Diagnosis, type PortReport, type ProbeReport } from '../../src/probe/report.js';

export async function probe(options: ScanOptions & { host?: string }): Promise<ProbeReport> {
  const { host = 'mail.example.test', ...rest } = options;
  const report = await scanHost(host, { address: '127.0.0.1', timeoutMs: 1500, ...rest });
  // Every report a test looks at is also checked against the published schema.
  const parsed = ProbeReportSchema.safeParse(JSON.parse(JSON.stringify(report)));
  assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues, null, 1));
  return report;
}

export function ids(port: PortReport | ProbeReport): string[] {
  return port.diagnoses.map((d) => d.id);
}

export function find(port: PortReport | ProbeReport, id: string): Diagnosis {
  const d = port.diagnoses.find((x) => x.id === id);
  assert.ok(d, `expected diagnosis ${id}; got ${ids(port).join(', ') || 'none'}`);
  return d;
}

/**
 * The set-up every probe test file shares: the test CA and leaf, made once before its tests
 * and handed to `onCerts`, and the servers it starts, closed after them (`keep` a server with
 * close(), or `stop` any other stop function).
 */
export function probeFixtures(onCerts: (certs: { ca: TestCert; leaf: TestCert }) => void): {
  keep: <T extends { close(): Promise<void> }>(server: T) => T;
  stop: (fn: () => Promise<void>) => void;
} {
  const stops: Array<() => Promise<void>> = [];
  before(async () => onCerts(await makeGoodCerts()));
  after(async () => {
    await Promise.all(stops.map((s) => s()));
  });
  return {
    keep: (server) => {
      stops.push(() => server.close());
      return server;
    },
    stop: (fn) => {
      stops.push(fn);
    },
  };
}
