/**
 * Kaplan–Meier curves as one inline SVG: time after the notice on x (hours; minutes or
 * seconds for short spans), share still online
 * on y, a step line per group, the deadline as a vertical line. No script, no external
 * asset; a curve of a million points is reduced to one point per horizontal pixel
 * (the value at the end of each pixel), which is what a reader can see anyway. Inline SVG
 * in HTML needs no namespace attribute, so the page holds no URL at all.
 */
import type { SurvivalPoint } from '@tdm/core';
import { escapeHtml } from './format.js';

export interface CurveSeries {
  name: string;
  points: readonly SurvivalPoint[];
}

/** Colour-blind-safe palette (Okabe–Ito), also distinct in grey print by dash pattern. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const DASHES = ['', '6 3', '2 2', '8 3 2 3', '4 4', '1 3', '10 4'];

const WIDTH = 720;
const HEIGHT = 360;
const LEFT = 56;
const RIGHT = 16;
const TOP = 16;
const BOTTOM = 44;

export function survivalSvg(
  series: readonly CurveSeries[],
  deadlineSeconds: number,
  maxSeconds: number,
): string {
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const x = (seconds: number): number => LEFT + (Math.min(seconds, maxSeconds) / maxSeconds) * plotW;
  const y = (share: number): number => TOP + (1 - share) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="Share still online by hours after the notice">`,
  );
  // Axes and grid.
  for (const share of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(share)}" y2="${y(share)}" stroke="#ddd" />`,
      `<text x="${LEFT - 6}" y="${y(share) + 4}" text-anchor="end" font-size="11">${share * 100}%</text>`,
    );
  }
  // The axis unit follows the span: seconds for a demo, minutes for an hour, else hours.
  const unit =
    maxSeconds <= 300
      ? { s: 1, name: 's' }
      : maxSeconds <= 5 * 3600
        ? { s: 60, name: 'min' }
        : { s: 3600, name: 'h' };
  const span = maxSeconds / unit.s;
  const step = niceStep(span / 6);
  for (let v = 0; v <= span + 1e-9; v += step) {
    parts.push(
      `<line x1="${x(v * unit.s)}" x2="${x(v * unit.s)}" y1="${TOP + plotH}" y2="${TOP + plotH + 4}" stroke="#333" />`,
      `<text x="${x(v * unit.s)}" y="${TOP + plotH + 17}" text-anchor="middle" font-size="11">${v === 0 ? '0' : `${Number(v.toFixed(2))} ${unit.name}`}</text>`,
    );
  }
  const unitWord = { s: 'seconds', min: 'minutes', h: 'hours' }[unit.name];
  parts.push(
    `<text x="${LEFT + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle" font-size="12">${unitWord} after the notice</text>`,
    `<text x="14" y="${TOP + plotH / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${TOP + plotH / 2})">share still online</text>`,
    `<rect x="${LEFT}" y="${TOP}" width="${plotW}" height="${plotH}" fill="none" stroke="#333" />`,
  );
  // The deadline.
  if (deadlineSeconds <= maxSeconds) {
    parts.push(
      `<line class="deadline" x1="${x(deadlineSeconds)}" x2="${x(deadlineSeconds)}" y1="${TOP}" y2="${TOP + plotH}" stroke="#b00" stroke-width="1.5" stroke-dasharray="5 3" />`,
      `<text x="${x(deadlineSeconds) + 4}" y="${TOP + 12}" font-size="11" fill="#b00">deadline</text>`,
    );
  }
  series.forEach((curve, index) => {
    const colour = COLOURS[index % COLOURS.length] as string;
    const dash = DASHES[index % DASHES.length] as string;
    parts.push(
      `<path class="curve" data-name="${escapeHtml(curve.name)}" d="${stepPath(curve.points, x, y, maxSeconds, plotW)}" fill="none" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}><title>${escapeHtml(curve.name)}</title></path>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The step path, one vertex pair per pixel at most. */
function stepPath(
  points: readonly SurvivalPoint[],
  x: (seconds: number) => number,
  y: (share: number) => number,
  maxSeconds: number,
  plotW: number,
): string {
  let d = `M${x(0).toFixed(1)},${y(1).toFixed(1)}`;
  let survival = 1;
  let lastPixel = -1;
  for (const point of points) {
    if (point.time > maxSeconds) break;
    if (point.survival === survival) continue;
    const pixel = Math.floor((point.time / maxSeconds) * plotW);
    const px = x(point.time).toFixed(1);
    if (pixel === lastPixel) {
      // Same pixel column: only the vertical extent matters.
      d += ` V${y(point.survival).toFixed(1)}`;
    } else {
      d += ` H${px} V${y(point.survival).toFixed(1)}`;
      lastPixel = pixel;
    }
    survival = point.survival;
  }
  return `${d} H${x(maxSeconds).toFixed(1)}`;
}

function niceStep(raw: number): number {
  const steps = [0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 168, 336, 720];
  return steps.find((s) => s >= raw) ?? 1440;
}
