// One MailStore contract, run against every implementation.
import { postgresBackend, sqliteBackend } from './backends.js';
import { storeContract } from './contract-suite.js';

storeContract(sqliteBackend);
storeContract(postgresBackend);
