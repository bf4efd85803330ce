// From what the probe saw to what it means: each diagnosis names the problem in plain words,
// says what users experience, shows the evidence, and says what to change. Pure functions over
// the port report and a few facts that are not part of the JSON.
import { ReadError } from '../client/tls.js';
import { explainFailure } from './channel.js';
import { isWeakSignature } from './certificate.js';
import type { ProbeContext } from './context.js';
import type { ImplicitOutcome, PlainOutcome } from './detect.js';
import type { Diagnosis, PortReport, Severity } from './report.js';
import type { ServerFlight } from './tls-records.js';

export interface PortFacts {
  /** The user named this port (a closed port is then a failure, not just "not running"). */
  explicit: boolean;
  plain: PlainOutcome | null;
  implicit: ImplicitOutcome | null;
  unexpected?: string;
  unknownGreeting?: string;
  unknownGreetingInTls?: string;
  /** A positive greeting came inside implicit TLS, so a later implicitDialogError broke the
   * capability exchange, not the greeting. */
  greetingOkInTls?: boolean;
  greetingOk?: boolean;
  starttlsHandshakeError?: { error: unknown; flight: ServerFlight };
  plainDialogError?: unknown;
  implicitDialogError?: unknown;
  leafIssuerMissing?: boolean;
}

function diag(id: string, severity: Severity, title: string, explanation: string, evidence: string[], fix: string): Diagnosis {
  return { id, severity, title, explanation, evidence, fix };
}

const PROTO_NAME: Record<string, string> = { smtp: 'SMTP', imap: 'IMAP', pop3: 'POP3', ftp: 'FTP' };
const STARTTLS_WORD: Record<string, string> = { smtp: 'STARTTLS', imap: 'STARTTLS', pop3: 'STLS', ftp: 'AUTH TLS' };
const IMPLICIT_PORT: Record<string, string> = { smtp: '465', imap: '993', pop3: '995', ftp: '990' };
const STARTTLS_PORT: Record<string, string> = { smtp: '587', imap: '143', pop3: '110', ftp: '21' };
const IMPLICIT_HOWTO: Record<string, string> = {
  smtp: 'Postfix: -o smtpd_tls_wrappermode=yes on the listener; postern: sslBindings',
  imap: 'Dovecot: "ssl = yes" in the inet_listener; postern: sslBindings',
  pop3: 'Dovecot: "ssl = yes" in the inet_listener; postern: sslBindings',
  ftp: 'vsftpd: implicit_ssl=YES on its own listener',
};

/** The decoder error behind a dialog failure (endless banner, foreign protocol). */
function decoderErrorOf(err: unknown): { code: string; excerpt: string } | null {
  const cause = err instanceof ReadError ? err.cause : undefined;
  if (cause && typeof cause === 'object' && 'code' in cause && 'excerpt' in cause) {
    return { code: String((cause as { code: unknown }).code), excerpt: String((cause as { excerpt: unknown }).excerpt) };
  }
  return null;
}

function dialogDiagnoses(port: number, where: string, err: unknown): Diagnosis[] {
  const dec = decoderErrorOf(err);
  if (dec && ['line-too-long', 'too-many-lines', 'body-too-large', 'literal-too-large'].includes(dec.code)) {
    return [diag('greeting-too-long', 'failure', `Port ${port} sends an endless ${where}`,
      'The server keeps sending one reply without end (or one line without a line break). Clients buffer it until they run out of memory or time out; the probe stopped reading at its limit.',
      [`${dec.code}: the reply exceeded the probe's limit`, `starts with: "${dec.excerpt.slice(0, 80)}"`],
      'Check what is listening on this port (a misconfigured banner, a proxy, or something that is not a mail server) and fix its greeting.')];
  }
  if (dec) {
    return [diag('unexpected-protocol', 'failure', `Port ${port} does not speak the expected protocol`,
      'The answer does not follow the protocol a mail client will speak here, so clients fail with a protocol error.',
      [`${where}: "${dec.excerpt.slice(0, 100)}"`],
      'Make sure the right service listens on this port, or point clients at the right port.')];
  }
  if (err instanceof ReadError && err.code === 'timeout') {
    return [diag('dialog-timeout', 'failure', `Port ${port} stopped answering during the ${where}`,
      'The server accepted the connection but did not finish a reply in time; clients hang and then give up.',
      [explainFailure(err)], 'Check the service for overload or a stuck process; check greeting delays (postscreen, tarpits).')];
  }
  return [diag('dialog-failed', 'failure', `The ${where} on port ${port} failed`, 'The conversation broke off before the checks could finish.', [explainFailure(err)], 'Check the server log for this connection.')];
}

export function diagnosePort(r: PortReport, facts: PortFacts, ctx: Pick<ProbeContext, 'now' | 'expiryWarningDays' | 'timeoutMs' | 'source'>): Diagnosis[] {
  const out: Diagnosis[] = [];
  const p = r.port;
  const proto = r.protocol ? PROTO_NAME[r.protocol]! : 'the service';
  const stWord = r.protocol ? STARTTLS_WORD[r.protocol]! : 'STARTTLS';
  const secs = `${ctx.timeoutMs / 1000} s`;

  if (facts.unexpected) {
    out.push(diag('probe-error', 'failure', `The probe could not finish port ${p}`, 'An unexpected error stopped the checks for this port.', [facts.unexpected], 'Re-run with a longer --timeout; if it persists, report it with the --json output.'));
  }

  // Reachability.
  if (r.status !== 'open') {
    if (r.status === 'refused') {
      if (facts.explicit) out.push(diag('port-closed', 'failure', `Nothing listens on port ${p}`, 'Connections are refused (TCP RST): no service is bound to this port on this address.', [r.modeEvidence.plaintext], 'Start the service or bind it to this address and port; check the listener configuration.'));
    } else if (r.status === 'error') {
      // The attempt failed here, before any packet could be answered (a --source address this
      // machine does not have, a local firewall rule, out of file descriptors): not the server.
      out.push(diag('connect-failed', facts.explicit ? 'failure' : 'info', `The probe could not connect to port ${p} from this machine`, 'The connection attempt failed locally, so nothing is known about the server yet.', [r.modeEvidence.plaintext], `Check this machine's side: the --source address${ctx.source ? ` (${ctx.source})` : ''}, local firewall rules and limits; then probe again.`));
    } else {
      out.push(diag('port-filtered', facts.explicit ? 'failure' : 'info', `Port ${p} does not answer the TCP connect`, 'Connection attempts get no answer at all: a firewall drops them, or the host is unreachable.', [r.modeEvidence.plaintext], 'Open the port in the firewall (host and network), or check routing.'));
    }
    return out;
  }

  const plain = facts.plain;
  const implicit = facts.implicit;
  if (r.mode === 'silent') {
    out.push(diag('port-silent', 'failure', `Port ${p} accepts connections but says nothing`,
      `Neither a greeting nor an answer to a TLS ClientHello came within ${secs}. Clients see a timeout whichever mode they use.`,
      [`plaintext: ${r.modeEvidence.plaintext}`, `implicit TLS: ${r.modeEvidence.implicitTls}`],
      'Check that the service is not hung or overloaded, and that no proxy or firewall in front of it swallows connections.'));
    return out;
  }
  if (implicit?.kind === 'stalled') {
    out.push(diag('tls-handshake-stalled', 'failure', `The TLS handshake on port ${p} stalls`,
      `The server started its handshake and then stopped sending for ${secs}; clients hang until their own timeout.`,
      [`received ${implicit.bytes} bytes of the server's handshake, then nothing`],
      'Look for a middlebox or MTU problem that drops large packets (the certificate flight is the biggest), a blocking OCSP fetch, or an overloaded TLS front end.'));
  }
  if (r.mode === 'unknown' && plain?.kind === 'closed' && (implicit?.kind === 'closed' || implicit?.kind === 'tls-failed')) {
    out.push(diag('port-closes-immediately', 'failure', `Port ${p} closes every connection without a word`,
      'The server accepts and immediately drops both plaintext and TLS connections.',
      [r.modeEvidence.plaintext, r.modeEvidence.implicitTls],
      'Check access rules (tcpwrappers, per-IP limits, fail2ban) and the service log.'));
  } else if (r.mode === 'unknown') {
    out.push(diag('unexpected-protocol', 'failure', `Port ${p} speaks neither a mail protocol nor TLS`,
      'No greeting came on a plaintext connection, and a TLS ClientHello got an answer that is not TLS: something else (a web server, a proxy) listens here.',
      [`plaintext: ${r.modeEvidence.plaintext}`, `implicit TLS: ${r.modeEvidence.implicitTls}`],
      'Point clients at the right port, or check what listens on this one.'));
  }

  if (facts.plainDialogError) out.push(...dialogDiagnoses(p, 'greeting and capability exchange', facts.plainDialogError));
  if (facts.unknownGreeting !== undefined) {
    out.push(diag('unexpected-protocol', 'failure', `Port ${p} greets in an unknown protocol`, 'The greeting is not SMTP, IMAP, POP3 or FTP; pass --protocol if the probe guessed wrong.', [`greeting: "${facts.unknownGreeting.slice(0, 100)}"`], 'Point clients at the right port, or tell the probe the protocol with --protocol.'));
  }
  if (facts.greetingOk === false && r.banner) {
    out.push(diag('service-refuses', 'failure', `The ${proto} service on port ${p} refuses sessions`, 'The greeting itself says the server will not serve this client.', [`greeting: ${r.banner}`], 'Check the server\'s access rules and load limits for the probing address.'));
  }

  // Which mode the port speaks versus how clients use it.
  const tlsOnly = r.mode === 'tls';
  const plainOnly = r.mode === 'starttls' || r.mode === 'plain';
  if ((r.expectedMode === 'starttls' || r.expectedMode === 'plain') && tlsOnly) {
    const closedHow = plain?.kind === 'closed' ? `, then the server ${plain.how === 'reset' ? 'reset (RST)' : 'closed (FIN)'} the connection` : '';
    out.push(diag('implicit-tls-on-starttls-port', 'failure', `Port ${p} speaks implicit TLS, but clients here expect ${r.expectedMode === 'plain' ? 'plaintext' : stWord}`,
      `A client set to ${stWord} (Outlook's "STARTTLS", .NET SmtpClient with EnableSsl, Thunderbird's "STARTTLS") connects and waits for a greeting that never comes: the server is waiting for a TLS ClientHello. The client times out or is dropped.`,
      [`plaintext connection: ${r.modeEvidence.plaintext}${closedHow}`, `TLS from the first byte: ${r.modeEvidence.implicitTls}`],
      `Set the client to SSL/TLS (implicit) for port ${p}${r.protocol ? `, or use port ${STARTTLS_PORT[r.protocol]} with ${stWord}` : ''}.`));
  }
  if (r.expectedMode === 'tls' && plainOnly) {
    out.push(diag('starttls-port-used-with-implicit-tls', 'failure', `Port ${p} speaks plaintext${r.starttls?.offered ? ` with ${stWord}` : ''}, but clients here expect implicit TLS`,
      'A client set to SSL/TLS sends a ClientHello and reads the server\'s plaintext greeting where a TLS record belongs; it fails with "wrong version number" (OpenSSL), "unexpected packet format" (.NET/Schannel) or a similar handshake error.',
      [`TLS from the first byte: ${r.modeEvidence.implicitTls}`, `plaintext connection: ${r.modeEvidence.plaintext}${r.banner ? ` — "${r.banner}"` : ''}`],
      `Set the client to ${stWord} for port ${p}${r.protocol ? `, or use port ${IMPLICIT_PORT[r.protocol]} for implicit TLS` : ''}; or enable implicit TLS on this port (${IMPLICIT_HOWTO[r.protocol ?? 'smtp']}).`));
  }
  if (r.mode === 'dual') {
    out.push(diag('dual-mode-port', 'info', `Port ${p} accepts both implicit TLS and plaintext`, 'The server tells the two apart by the first bytes, so clients work in either mode.', [r.modeEvidence.plaintext, r.modeEvidence.implicitTls], 'Nothing to change.'));
  }

  // STARTTLS.
  if (r.starttls && facts.greetingOk) {
    if (r.starttls.offered === false && r.mode !== 'dual' && !r.starttls.accepted) {
      const mx = r.port === 25;
      out.push(diag('starttls-not-offered', mx ? 'warning' : 'failure', `Port ${p} does not offer ${stWord}`,
        mx ? 'Mail to this server travels unencrypted: sending servers that try TLS find no STARTTLS.' : 'Clients cannot encrypt this connection: passwords and mail cross the network in cleartext, or clients that insist on TLS refuse to connect.',
        [`capabilities before TLS: ${r.beforeTls?.capabilities.join(', ') || 'none'}`],
        r.protocol === 'smtp' ? 'Configure a certificate (Postfix: smtpd_tls_cert_file/smtpd_tls_key_file, smtpd_tls_security_level = may).' : r.protocol === 'ftp' ? 'Enable TLS (vsftpd: ssl_enable=YES with rsa_cert_file).' : 'Configure a certificate (Dovecot: ssl = yes, ssl_cert, ssl_key).'));
    }
    if (r.starttls.accepted === false) {
      out.push(diag('starttls-refused', 'failure', `Port ${p} offers ${stWord} but refuses it`, 'Clients that ask for TLS get an error, and either give up or fall back to cleartext.', [`${stWord} → ${r.starttls.reply}`], 'Check the server\'s TLS configuration and log (a missing or unreadable key is the usual cause).'));
    }
  }
  if (facts.starttlsHandshakeError) {
    const accepted = r.versions.filter((v) => v.accepted).map((v) => v.version);
    if (accepted.length > 0 && accepted.every((v) => v === 'TLSv1' || v === 'TLSv1.1')) {
      out.push(versionMismatch(p, accepted, r, explainFailure(facts.starttlsHandshakeError.error, facts.starttlsHandshakeError.flight)));
    } else {
      out.push(diag('starttls-handshake-failed', 'failure', `The TLS handshake after ${stWord} fails on port ${p}`, 'The server agrees to start TLS and then the handshake breaks: clients cannot connect securely.', [explainFailure(facts.starttlsHandshakeError.error, facts.starttlsHandshakeError.flight)], 'Check the certificate, key and TLS settings in the server log.'));
    }
  }
  if (r.tls && (r.tls.discardedBytesBeforeHandshake ?? 0) > 0) {
    out.push(diag('plaintext-after-starttls-reply', 'warning', `Port ${p} sent data after its ${stWord} answer`, 'Bytes arrived between the server\'s "go ahead" and the handshake. A correct client drops them; a careless one reads them as if they came over TLS — the pattern of a STARTTLS-injecting middlebox.', [`${r.tls.discardedBytesBeforeHandshake} bytes dropped before the handshake`], 'Check for a proxy or filter in the path; the server should send nothing after its answer.'));
  }
  if (r.starttlsInjection.vulnerable) {
    out.push(diag('starttls-injection', 'failure', `Port ${p} is open to STARTTLS command injection`,
      'The server keeps plaintext that arrived with the STARTTLS command and runs it after the handshake, as if it had come over TLS. A man in the middle can thus inject commands into the encrypted session (CVE-2011-0411 and its many descendants).',
      [r.starttlsInjection.detail],
      'Update the server; it must discard its input buffer when it starts TLS (RFC 3207 §4.2, RFC 2595 §3.1, RFC 9051 §6.2.1).'));
  }

  // Cleartext credentials.
  const clear = r.beforeTls?.cleartextMethods ?? [];
  if (clear.length > 0) {
    const fix: Record<string, string> = {
      imap: 'Dovecot: disable_plaintext_auth = yes (2.3) or auth_allow_cleartext = no (2.4); postern: loginType: SecureLogin.',
      pop3: 'Dovecot: disable_plaintext_auth = yes (2.3) or auth_allow_cleartext = no (2.4); postern: loginType: SecureLogin.',
      smtp: 'Postfix: smtpd_tls_auth_only = yes; postern: loginType: SecureLogin.',
      ftp: 'vsftpd: force_local_logins_ssl=YES; ProFTPD: TLSRequired on.',
    };
    out.push(diag('cleartext-auth-before-tls', 'failure', `Port ${p} accepts passwords before TLS`,
      `Before any encryption the server offers ${clear.join(', ')}. A client that logs in before ${stWord} — or one whose ${stWord} was stripped by a man in the middle — sends the password in cleartext.`,
      [`seen before TLS from ${r.beforeTls?.source ?? 'this machine'}: ${r.protocol === 'ftp' ? `USER → ${r.ftp?.cleartextUser.reply ?? ''}` : (r.beforeTls?.capabilities.join(' ') ?? '')}`],
      (r.protocol && fix[r.protocol]) ?? 'Allow cleartext logins only after TLS.'));
  }
  if (r.trustedView && r.trustedView.differences.length > 0) {
    out.push(diag('trusted-network-view', 'warning', `Port ${p} shows the server's own address a different face`,
      `Connections from ${r.trustedView.serverSelfSource} (the server itself) are treated as trusted: Dovecot counts a client on its own address as secured and skips its cleartext rules; Postfix and others have mynetworks. Tests run on the server therefore differ from what remote users get. This report uses the view from ${r.trustedView.remoteSource}.`,
      r.trustedView.differences,
      'Judge security from the remote view; if local tools need the relaxed rules, keep them limited to loopback (Dovecot: login_trusted_networks).'));
  }

  // The TLS handshake itself.
  if (implicit?.kind === 'tls-failed' && !r.tls) {
    const accepted = r.versions.filter((v) => v.accepted).map((v) => v.version);
    const why = explainFailure(implicit.error, implicit.flight);
    if (accepted.length > 0 && accepted.every((v) => v === 'TLSv1' || v === 'TLSv1.1')) out.push(versionMismatch(p, accepted, r, why));
    else out.push(diag('tls-handshake-failed', 'failure', `The TLS handshake on port ${p} fails`, 'A client with today\'s defaults cannot complete TLS with this server.', [why, ...r.versions.map((v) => `${v.version}: ${v.detail}`)], 'Check the certificate, key, protocol versions and cipher settings in the server\'s TLS configuration.'));
  }
  const acceptedVersions = new Set(r.versions.filter((v) => v.accepted).map((v) => v.version));
  const legacy = ['TLSv1', 'TLSv1.1'].filter((v) => acceptedVersions.has(v as 'TLSv1'));
  if (legacy.length > 0 && (acceptedVersions.has('TLSv1.2') || acceptedVersions.has('TLSv1.3'))) {
    out.push(diag('legacy-tls-accepted', 'warning', `Port ${p} still accepts ${legacy.join(' and ')}`,
      'TLS 1.0 and 1.1 are deprecated (RFC 8996): they rely on SHA-1 and CBC constructions with known attacks, and a downgrade lets an attacker pick them.',
      r.versions.map((v) => `${v.version}: ${v.detail}`),
      'Set the minimum to TLS 1.2 (Dovecot: ssl_min_protocol = TLSv1.2; Postfix: smtpd_tls_protocols = >=TLSv1.2; vsftpd: ssl_tlsv1=NO; postern: tls.minVersion: TLSv1.2).'));
  }
  if (acceptedVersions.has('TLSv1.2') && !acceptedVersions.has('TLSv1.3') && r.versions.some((v) => v.version === 'TLSv1.3' && v.accepted === false)) {
    out.push(diag('no-tls13', 'warning', `Port ${p} does not offer TLS 1.3`, 'TLS 1.3 (RFC 8446) is faster and drops every legacy construction; RFC 9325 says servers should support it.', [r.versions.find((v) => v.version === 'TLSv1.3')!.detail], 'Upgrade to a TLS library and server that support TLS 1.3 (OpenSSL 1.1.1 or later) and do not cap the maximum version.'));
  }
  if (r.anonymousCiphers.accepted) {
    out.push(diag('anonymous-cipher-accepted', 'failure', `Port ${p} accepts anonymous ciphers`, 'With an anonymous (aNULL) cipher the server proves nothing about itself: anyone in the path can impersonate it.', [r.anonymousCiphers.detail], 'Remove aNULL suites from the cipher list (e.g. "HIGH:!aNULL").'));
  }
  if (r.ems.tested && r.ems.supported === false) {
    out.push(diag('no-ems', 'warning', `Port ${p} does not use Extended Master Secret on TLS 1.2`,
      'Without EMS (RFC 7627) a TLS 1.2 session can be synchronised between two connections (triple handshake attack). Windows since the October 2019 updates (KB4520003 and others) refuses to resume such sessions — FTPS data connections and session reuse then fail.',
      [r.ems.detail],
      'Upgrade the TLS library (OpenSSL 1.1.0 or later has EMS) and make sure it is not disabled (OpenSSL: Options = -ExtendedMasterSecret).'));
  }
  const rs = r.resumption;
  const notAccepted = [rs.ticketTls12, rs.ticketTls13].filter((t) => t.issued === true && t.resumed === false);
  if (notAccepted.length > 0) {
    out.push(diag('tickets-not-accepted', 'warning', `Port ${p} issues session tickets but never accepts them`,
      'Every reconnect costs a full handshake, and protocols that rely on resumption (FTPS data connections) break. Typical cause: each process or node encrypts tickets with its own key.',
      [rs.ticketTls12, rs.ticketTls13, rs.sessionId].filter((t) => t.tested).map((t) => t.detail),
      'Share the ticket key across processes and nodes (or keep one long-lived process), or stop issuing tickets.'));
  }
  if (r.alpn.outcome === 'selected') {
    out.push(diag('alpn-foreign-protocol', 'failure', `Port ${p} agreed to speak ${r.alpn.selected} over TLS`,
      `Offered only HTTP's ALPN IDs, the server selected "${r.alpn.selected}" on a ${proto} port. A browser can thus be led to this port with the server's valid certificate — the ALPACA cross-protocol attack.`,
      [r.alpn.detail],
      `Serve only the protocol's own ALPN ID (${r.protocol ?? 'imap/pop3/smtp'}) and refuse others with no_application_protocol, or do not use a certificate shared with web servers.`));
  } else if (r.alpn.outcome === 'ignored') {
    out.push(diag('alpn-not-enforced', 'info', `Port ${p} ignores ALPN`, 'The server completes handshakes whatever protocol the client announces; refusing foreign ALPN IDs would add a defence against cross-protocol attacks (ALPACA).', [r.alpn.detail], 'Optional: refuse foreign ALPN IDs.'));
  }

  // The certificate.
  const cert = r.tls?.certificate;
  if (cert) {
    const leaf = cert.chain[0]!;
    if (!cert.hostname.matched) {
      out.push(diag('cert-name-mismatch', 'failure', `The certificate on port ${p} does not name ${cert.hostname.name}`, 'Clients refuse the connection or warn about a possible impostor.', [cert.hostname.detail, `subject: ${leaf.subject}`, `SANs: ${[...leaf.dnsNames, ...leaf.ipAddresses].join(', ') || 'none'}`], `Use a certificate whose subjectAltName lists ${cert.hostname.name}, or point clients at a name it does list.`));
    }
    if (leaf.daysLeft < 0) {
      out.push(diag('cert-expired', 'failure', `The certificate on port ${p} expired ${-leaf.daysLeft} days ago`, 'Clients refuse the connection.', [`valid until ${leaf.validTo}`, `subject: ${leaf.subject}`], 'Renew the certificate and reload the service.'));
    } else if (Date.parse(leaf.validFrom) > ctx.now) {
      out.push(diag('cert-not-yet-valid', 'failure', `The certificate on port ${p} is not valid yet`, 'Clients refuse it until its start date (or the server clock is wrong).', [`valid from ${leaf.validFrom}`], 'Check the server\'s clock, or install a certificate valid now.'));
    } else if (leaf.daysLeft < ctx.expiryWarningDays) {
      out.push(diag('cert-expiring-soon', 'warning', `The certificate on port ${p} expires in ${leaf.daysLeft} days`, 'Renew it before clients start refusing the connection.', [`valid until ${leaf.validTo}`], 'Renew the certificate (and check that renewal reloads this service).'));
    }
    const err = cert.verifyError;
    if (err === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
      out.push(diag('cert-self-signed', 'failure', `The certificate on port ${p} is self-signed`, 'No client trusts it unless someone installs it by hand; users learn to click through warnings.', [`subject = issuer = ${leaf.subject}`], 'Use a certificate from a public CA (e.g. Let\'s Encrypt), or distribute your CA to the clients and pass it to the probe with --ca.'));
    } else if (err === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' && facts.leafIssuerMissing && !leaf.selfSigned) {
      out.push(diag('cert-chain-incomplete', 'failure', `The certificate chain on port ${p} is incomplete`, 'The server sends its certificate without the intermediate that signed it. Some clients fetch it themselves; most mail clients fail verification.', [`sent: ${cert.chain.map((c) => c.subject).join(' → ')}`, `missing issuer: ${leaf.issuer}`], 'Configure the full chain (certificate followed by its intermediates, e.g. fullchain.pem).'));
    } else if (err && err !== 'CERT_HAS_EXPIRED' && err !== 'CERT_NOT_YET_VALID') {
      out.push(diag('cert-untrusted', 'failure', `The certificate on port ${p} is not trusted`, 'Verification against the trusted CAs fails, so clients refuse or warn.', [`verification error: ${err}`, `chain: ${cert.chain.map((c) => c.subject).join(' → ')}`], 'Use a certificate from a CA the clients trust, include the intermediates, or pass your private CA with --ca.'));
    }
    const weakSig = cert.chain.filter((c) => !c.selfSigned && isWeakSignature(c.signatureAlgorithm));
    if (weakSig.length > 0) {
      out.push(diag('cert-weak-signature', 'warning', `The certificate chain on port ${p} uses a weak signature`, 'MD5 and SHA-1 signatures can be forged; current clients reject them.', weakSig.map((c) => `${c.subject}: ${c.signatureAlgorithm}`), 'Reissue the certificate with SHA-256 or better.'));
    }
    const weakKey = cert.chain.filter((c) => (c.key.type === 'rsa' && (c.key.bits ?? 0) < 2048) || (c.key.type === 'ec' && (c.key.bits ?? 0) < 256));
    if (weakKey.length > 0) {
      out.push(diag('cert-weak-key', 'warning', `The certificate chain on port ${p} has a weak key`, 'Keys this small can be broken or are refused by current clients.', weakKey.map((c) => `${c.subject}: ${c.key.type} ${c.key.bits} bits`), 'Reissue with RSA 2048+ or ECDSA P-256+.'));
    }
  }
  if (implicit?.kind === 'tls' && (facts.unknownGreetingInTls !== undefined || facts.implicitDialogError)) {
    if (facts.implicitDialogError && facts.greetingOkInTls) out.push(...dialogDiagnoses(p, 'capability exchange inside TLS', facts.implicitDialogError));
    else if (facts.implicitDialogError && decoderErrorOf(facts.implicitDialogError)) out.push(...dialogDiagnoses(p, 'greeting inside TLS', facts.implicitDialogError));
    else out.push(diag('no-greeting-after-tls', 'warning', `No ${proto} greeting inside TLS on port ${p}`, 'The TLS handshake works but the service behind it did not greet as expected.', [facts.unknownGreetingInTls !== undefined ? `received: "${facts.unknownGreetingInTls.slice(0, 100)}"` : explainFailure(facts.implicitDialogError)], 'Check that the TLS front end forwards to the right service.'));
  }

  // Login.
  if (r.login) {
    if (r.login.attempted && r.login.ok) out.push(diag('login-ok', 'info', `Login on port ${p} works`, 'The credentials were accepted.', [`${r.login.method}: ${r.login.detail}`], 'Nothing to change.'));
    else if (r.login.attempted) out.push(diag('login-failed', 'failure', `Login on port ${p} fails`, 'The server refused the credentials (or the exchange broke).', [`${r.login.method ?? 'login'}: ${r.login.detail}`], 'Check user name, password and the account\'s protocol permissions.'));
    else out.push(diag('login-skipped', 'info', `Login on port ${p} was not tried`, 'The probe never sends credentials where they could be read or over a mechanism it cannot use safely.', [r.login.detail], 'Nothing to change, unless you meant to test this; --allow-cleartext-login permits cleartext.'));
  }

  // FTPS data connections.
  const ftp = r.ftp;
  if (ftp) {
    if (ftp.protP.tested && ftp.protP.ok === false) {
      out.push(diag('ftps-prot-p-refused', 'failure', `Port ${p} refuses to protect data connections`, 'With PROT P refused, file contents and listings travel unencrypted.', [ftp.protP.reply ?? ''], 'Enable TLS for data connections (vsftpd: force_local_data_ssl=YES).'));
    }
    if (ftp.pasv.problem) {
      out.push(diag('ftp-pasv-address', 'warning', `Port ${p} announces a wrong address for passive data connections`, 'Clients that trust the PASV reply try to connect there and time out; clients that ignore it (like this probe) work.', [ftp.pasv.problem, `227 reply: ${ftp.pasv.announced}`], 'Set the public address (vsftpd: pasv_address; ProFTPD: MasqueradeAddress) or let the server take it from the control connection.'));
    }
    if (ftp.resumedData.tested && ftp.resumedData.ok === false) {
      out.push(diag('ftps-data-failed', 'failure', `Data connections on port ${p} fail`, 'Even a data connection that resumes the control session is refused: listings and transfers fail.', [ftp.resumedData.detail], 'Check the server\'s TLS session cache/ticket settings and its log.'));
    }
    const ems12Missing = r.ems.supported === false && !acceptedVersions.has('TLSv1.3');
    if (ftp.freshData.accepted === false) {
      out.push(diag('ftps-data-requires-reuse', 'info', `Port ${p} requires data connections to resume the control session`,
        'This binds each data connection to the logged-in client. Clients that cannot resume (or refuse to) fail with "TLS session of data connection has not resumed or the session does not match the control connection" or "522 session reuse required".',
        [ftp.freshData.detail], 'Nothing to change; make sure clients resume (FileZilla, curl and lftp do).'));
      if (ems12Missing) {
        out.push(diag('ftps-reuse-without-ems', 'failure', `Windows clients cannot transfer files on port ${p}`,
          'The server requires session reuse on data connections, offers at most TLS 1.2, and does not use Extended Master Secret. Since the October 2019 updates (KB4517389, KB4520003, …) Windows refuses to resume such sessions, so every data connection fails.',
          [ftp.freshData.detail, r.ems.detail, ...r.versions.filter((v) => v.version === 'TLSv1.3').map((v) => `TLSv1.3: ${v.detail}`)],
          'Upgrade the server\'s OpenSSL (1.1.0+ has EMS, 1.1.1+ has TLS 1.3) and remove any "-ExtendedMasterSecret" option; as a stopgap only, stop requiring session reuse.'));
      }
    } else if (ftp.freshData.accepted === true) {
      out.push(diag('ftps-data-no-reuse-required', 'warning', `Port ${p} accepts data connections that do not resume the control session`,
        'Whoever connects to the passive port first gets the file or uploads in its place: nothing ties the data connection to the client who logged in.',
        [ftp.freshData.detail], 'Require TLS session reuse on data connections (vsftpd: require_ssl_reuse=YES; FileZilla Server: "Require TLS session resumption on data connection").'));
    }
    if (ftp.foreignData.accepted === true) {
      out.push(diag('ftps-data-foreign-session-accepted', 'failure', `Port ${p} lets a data connection resume another client's session`,
        "The server checks only that a data connection resumed *some* session, not the control connection's own: any logged-in user can race to another user's passive port and steal or replace the file (vsftpd 3.0.3 behaves this way).",
        [ftp.foreignData.detail], 'Upgrade to a server that matches the data session to its control connection, or limit who can log in; keep passive port ranges large and random.'));
    }
    if (!ftp.resumedData.tested && !ftp.protP.tested) {
      out.push(diag('ftps-data-not-tested', 'info', `FTPS data connections on port ${p} were not tested`, 'Data connections need a login.', [ftp.resumedData.detail], 'Pass --user and --password-stdin to test them.'));
    }
  }
  return out;
}

function versionMismatch(port: number, accepted: string[], r: PortReport, why: string): Diagnosis {
  return diag('tls-version-mismatch', 'failure', `Port ${port} speaks only ${accepted.join(' and ')}`,
    'Current clients (OpenSSL 3 at its default security level, Windows 11, iOS 15+, Thunderbird 78+) refuse TLS 1.0/1.1: the handshake ends with "unsupported protocol" on the client or a protocol_version (70) alert from one side.',
    [why, ...r.versions.map((v) => `${v.version}: ${v.detail}`)],
    'Enable TLS 1.2 and 1.3 on the server (upgrade its TLS library if needed).');
}

export interface HostFacts {
  host: string;
  address: string | null;
  ports: PortReport[];
  dnsError?: string;
  loopback: boolean;
  localInterface: boolean;
  source: string | null;
  serverSelfSource?: string;
  explicitPorts: boolean;
}

export function diagnoseHost(h: HostFacts): Diagnosis[] {
  const out: Diagnosis[] = [];
  if (h.dnsError) {
    out.push(diag('dns-failed', 'failure', `${h.host} does not resolve`, 'Clients cannot find the server.', [h.dnsError], 'Check the name and its DNS records.'));
    return out;
  }
  if (!h.explicitPorts && h.ports.length > 0 && h.ports.every((p) => p.status !== 'open')) {
    out.push(diag('no-service', 'failure', `No mail or FTP service answers on ${h.host}`, 'Every standard port is closed or filtered.', h.ports.map((p) => `${p.port}: ${p.status}`), 'Check the host name, the firewall, and that the services run.'));
  }
  if (h.loopback && h.serverSelfSource) {
    out.push(diag('probing-over-loopback', 'info', 'Probed over loopback from a non-local source address', `Connections came from ${h.source}, which servers treat like a remote client; where a port shows ${h.serverSelfSource} (the server itself) more, a separate warning says so.`, [`target ${h.address}, source ${h.source}`], 'Nothing to change.'));
  } else if (h.loopback || h.localInterface) {
    out.push(diag('probing-from-server', 'warning', 'Probing from the server itself', 'Servers trust their own address (Dovecot counts a client on its own IP as secured; Postfix has mynetworks), so results here can look safer than what remote users see.', [`${h.address} is an address of this machine`], 'Run the probe from another machine for the remote view.'));
  }
  const withCert = h.ports.filter((p) => p.tls?.certificate);
  const byPrint = new Map<string, PortReport[]>();
  for (const p of withCert) {
    const fp = p.tls!.certificate!.chain[0]!.fingerprint256;
    byPrint.set(fp, [...(byPrint.get(fp) ?? []), p]);
  }
  if (byPrint.size > 1) {
    const groups = [...byPrint.values()].map((ports) => ({ ports: ports.map((p) => p.port), leaf: ports[0]!.tls!.certificate!.chain[0]! }));
    groups.sort((a, b) => Date.parse(a.leaf.validFrom) - Date.parse(b.leaf.validFrom));
    const older = groups[0]!;
    const newest = groups[groups.length - 1]!;
    const sameNames = older.leaf.dnsNames.join(',') === newest.leaf.dnsNames.join(',');
    out.push(diag('certificate-differs-between-ports', 'warning', `Different certificates on different ports of ${h.host}`,
      sameNames
        ? `Ports ${older.ports.join(', ')} still present an older certificate for the same names than ports ${newest.ports.join(', ')}: the usual sign of a service that was not reloaded after renewal; it will expire first.`
        : 'The host presents different certificates depending on the port; clients pinning or caching one of them will complain on the others.',
      groups.map((g) => `port${g.ports.length > 1 ? 's' : ''} ${g.ports.join(', ')}: ${g.leaf.subject}, valid ${g.leaf.validFrom.slice(0, 10)} to ${g.leaf.validTo.slice(0, 10)}, SHA-256 ${g.leaf.fingerprint256.slice(0, 23)}…`),
      sameNames ? `Reload or restart the services on ports ${older.ports.join(', ')} (and add them to the renewal hook).` : 'Use one certificate for every service of the host, or check that each is intended.'));
  }
  return out;
}
