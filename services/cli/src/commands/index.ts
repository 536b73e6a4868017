import type { Command } from '../command.js';
import { configCommand, migrateCommand } from './admin.js';
import { auditCommand } from './audit.js';
import { tokenCommand } from './token.js';
import { demoCommand } from './demo.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { crawlerCommand, resultsCommand, schedulerCommand, upCommand } from './services.js';

/** Every subcommand, in the order `tdm --help` lists them. */
export const COMMANDS: Command[] = [
  upCommand,
  schedulerCommand,
  crawlerCommand,
  resultsCommand,
  importCommand,
  exportCommand,
  migrateCommand,
  demoCommand,
  tokenCommand,
  auditCommand,
  configCommand,
];
