/** Short-lived commands: `migrate` and `config`. */
import { SETTINGS, configurationMarkdown, loadConfig } from '@tdm/core';
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
(passwords and tokens redacted). With --markdown prints the reference of every
setting (the text of docs/configuration.md).`,
  options: { markdown: { type: 'boolean' } },
  async run({ values, stdout }) {
    if (values['markdown']) {
      stdout.write(configurationMarkdown());
      return 0;
    }
    const config = loadConfig();
    const shown: Record<string, unknown> = {
      ...config,
      databaseUrl: config.databaseUrl.replace(/:[^:@/]*@/, ':[redacted]@'),
    };
    // Passwords and tokens: shown only as set or not.
    for (const [name, spec] of Object.entries(SETTINGS)) {
      if ('secret' in spec && spec.secret && shown[name] !== '') shown[name] = '[redacted]';
    }
    stdout.write(JSON.stringify(shown, null, 2) + '\n');
    return 0;
  },
};
