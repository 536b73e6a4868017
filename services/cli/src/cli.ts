/**
 * `tdm`: one binary, one subcommand per service or task. Exit codes: 0 success,
 * 1 failure at run time (message on stderr), 2 wrong usage (message and usage).
 */
import { parseArgs } from 'node:util';
import { TdmError, redactSecrets } from '@tdm/core';
import { UsageError, type Command } from './command.js';
import { COMMANDS } from './commands/index.js';

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'tdm — Takedown Monitor: re-checks reported URLs and records exactly when each went offline.',
    '',
    'Usage: tdm <command> [options]    (tdm <command> --help for details)',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Configuration: environment variables or a JSON file named by TDM_CONFIG or --config;',
    'every setting is listed by `tdm config` (docs/configuration.md).',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const lines = [`tdm ${command.name} — ${command.summary}`, '', command.help.trimEnd(), ''];
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    process.stderr.write(`tdm: unknown command "${name}"\n\n${overview()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, config: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (typeof values['config'] === 'string') process.env['TDM_CONFIG'] = values['config'];
    return await command.run({
      values: values as Record<string, string | boolean | undefined>,
      positionals,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(
        `tdm ${command.name}: ${redactSecrets((error as Error).message)}\n\n${commandHelp(command)}`,
      );
      return 2;
    }
    if (error instanceof TdmError) {
      process.stderr.write(`tdm ${command.name}: ${redactSecrets(error.message)}\n`);
      return 1;
    }
    // Error messages may quote a connection string (a driver's "cannot connect to …").
    process.stderr.write(`tdm ${command.name}: ${redactSecrets((error as Error).stack ?? String(error))}\n`);
    return 1;
  }
}
