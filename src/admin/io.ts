// Reading secrets and messages from standard input for the CLI.

/** `--password-stdin`: one line; its trailing newline (LF or CRLF) is not part of the password. */
export async function readPasswordFromStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const all = await readAll(stdin);
  const text = all.toString('utf8');
  const nl = text.indexOf('\n');
  const line = nl < 0 ? text : text.slice(0, nl);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

export async function readAll(stream: NodeJS.ReadableStream, limit = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > limit) throw new Error(`input larger than ${limit} octets`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function parseBool(value: string, option: string): boolean {
  if (/^(true|yes|1|on)$/i.test(value)) return true;
  if (/^(false|no|0|off)$/i.test(value)) return false;
  throw new Error(`${option} takes true or false, not "${value}".`);
}
