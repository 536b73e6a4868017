/** What every `tdm` subcommand provides; main.ts dispatches on `name`. */
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  /** Parsed `--flags`. */
  values: Record<string, string | boolean | undefined>;
  /** Positional arguments after the subcommand. */
  positionals: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface Command {
  name: string;
  summary: string;
  /** Usage line and details shown by `tdm NAME --help`. */
  help: string;
  options: OptionSpec;
  /** Resolves to the process exit code. */
  run(context: CommandContext): Promise<number>;
}

/** Wrong use of the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
