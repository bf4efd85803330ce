// openStore(): the composition root's one way to get the configured store.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { dropSchema, newAccount, postgresUrl, tempDir, uniqueSchemaName } from './helpers.js';

const url = await postgresUrl();

describe('openStore', () => {
  test('store kind sqlite opens <data>/postern.sqlite', async () => {
    const dir = tempDir();
    try {
      const store = await openStore({ kind: 'sqlite' }, dir.path);
      assert.equal(store.kind, 'sqlite');
      await store.createAccount(newAccount('tess'));
      await store.close();
      assert.ok(existsSync(join(dir.path, 'postern.sqlite')));
      const again = await openStore({ kind: 'sqlite' }, dir.path);
      assert.equal((await again.findAccountByAddress('tess@example.test'))?.sam, 'tess');
      await again.close();
    } finally {
      dir.remove();
    }
  });

  test('store kind postgres opens the given schema and leaves the data directory alone', { skip: url === null }, async () => {
    const dir = tempDir();
    const schema = uniqueSchemaName();
    try {
      const store = await openStore({ kind: 'postgres', url: url!, schema }, dir.path);
      assert.equal(store.kind, 'postgres');
      await store.createAccount(newAccount('ugo'));
      await store.close();
      const again = await openStore({ kind: 'postgres', url: url!, schema }, dir.path);
      assert.equal((await again.listAccounts()).length, 1);
      await again.close();
      assert.ok(!existsSync(join(dir.path, 'postern.sqlite')));
    } finally {
      dir.remove();
      await dropSchema(url!, schema);
    }
  });
});
