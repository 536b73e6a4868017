/**
 * A one-line progress bar on stderr for long imports: redrawn in place on a terminal,
 * printed every few seconds otherwise (so CI logs stay readable).
 */
export class ProgressBar {
  readonly #out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #total: number;
  #lastDraw = 0;

  constructor(out: NodeJS.WritableStream, totalBytes: number) {
    this.#out = out;
    this.#total = Math.max(1, totalBytes);
  }

  update(doneBytes: number, label: string, force = false): void {
    const now = Date.now();
    const interval = this.#out.isTTY ? 100 : 5000;
    if (!force && now - this.#lastDraw < interval) return;
    this.#lastDraw = now;
    const share = Math.min(1, doneBytes / this.#total);
    const width = 30;
    const filled = Math.round(share * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${label}`;
    this.#out.write(this.#out.isTTY ? `\r${bar}` : `${bar}\n`);
  }

  finish(label: string): void {
    this.update(this.#total, label, true);
    if (this.#out.isTTY) this.#out.write('\n');
  }
}
