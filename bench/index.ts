// `npm run bench -- <name> [options]`: load generators and side-by-side comparisons.
//   pop3 [--vs dovecot]   logins/s and RETR MB/s at 1/10/100 clients (--rounds N, --only REGEX)
//   imap [--vs dovecot]   per-command ops/s and latency, idle-session memory
//   smtp [--vs postfix]   submission messages/s
//   mime                  parse and build throughput against mailparser, postal-mime, nodemailer
type Runner = (args: string[]) => Promise<void>;

const BENCHES: Record<string, () => Promise<Runner>> = {
  pop3: async () => (await import('./pop3.js')).runPop3Bench,
  imap: async () => (await import(pathOf('imap')) as { runImapBench: Runner }).runImapBench,
  smtp: async () => (await import(pathOf('smtp')) as { runSmtpBench: Runner }).runSmtpBench,
  mime: async () => (await import(pathOf('mime')) as { runMimeBench: Runner }).runMimeBench,
};

// Resolved at run time so a bench still being written does not break the others' build.
function pathOf(name: string): string {
  return `./${name}.js`;
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const load = name ? BENCHES[name] : undefined;
  if (!load) {
    console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]`);
    process.exitCode = 2;
    return;
  }
  let runner: Runner;
  try {
    runner = await load();
  } catch (err) {
    console.error(`the ${name} benchmark is not available in this build: ${(err as Error).message}`);
    process.exitCode = 2;
    return;
  }
  await runner(rest);
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
