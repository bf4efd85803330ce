// Test reporter that prints the closing "N passed, N failed[, N skipped]" line.
export default async function* summary(source) {
  let passed = 0, failed = 0, skipped = 0;
  for await (const event of source) {
    if (event.type === 'test:pass' && event.data.details?.type !== 'suite') {
      if (event.data.skip || event.data.todo) skipped++; else passed++;
    } else if (event.type === 'test:fail' && event.data.details?.type !== 'suite') {
      failed++;
    }
  }
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
