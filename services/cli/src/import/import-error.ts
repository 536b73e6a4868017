/** A reports file cannot be imported (unreadable, malformed, or refused by the API). */
import { TdmError } from '@tdm/core';

export class ImportError extends TdmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TDM_ERR_IMPORT', message, options);
  }
}
