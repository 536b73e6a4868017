/** Short-lived commands: `migrate` and `config`. */
import { configurationMarkdown, loadConfig, redactSettings } from '@tdm/core';
import type { Command } from '../command.js';
import { createRuntime } from '../runtime/runtime.js';
import { openConfiguredStore } from '../runtime/services.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create or upgrade the database schema',
  help: `Usage: tdm migrate

Applies the schema migrations to DATABASE_URL (or the embedded store under
TDM_DATA_DIR). Safe to run again and from several processes at once.`,
  options: {},
  async run({ stdout }) {
    const rt = createRuntime('migrate');
    try {
      const store = await openConfiguredStore(rt);
      stdout.write(`schema is up to date (${store.kind})\n`);
    } finally {
      await rt.lifecycle.stop();
    }
    return 0;
  },
};

export const configCommand: Command = {
  name: 'config',
  summary: 'show the effective configuration, or every setting as Markdown',
  help: `Usage: tdm config [--markdown]

Prints the configuration compiled from the environment, TDM_CONFIG and the defaults
(credentials in NATS_URL and DATABASE_URL, and every secret setting, redacted). With
--markdown prints the reference of every setting (the text of docs/configuration.md).`,
  options: { markdown: { type: 'boolean' } },
  async run({ values, stdout }) {
    if (values['markdown']) {
      stdout.write(configurationMarkdown());
      return 0;
    }
    const config = loadConfig();
    stdout.write(JSON.stringify(redactSettings(config), null, 2) + '\n');
    return 0;
  },
};
