export { main } from './cli.js';
export { COMMANDS } from './commands/index.js';
export { parseCsv } from './import/csv.js';
