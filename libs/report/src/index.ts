/** @tdm/report — the ranking report: statistics rendered into one self-contained HTML page (no I/O). */
export { keyText, rankGroups, renderRankingReport, type RankingReportInput } from './ranking-report.js';
export { survivalSvg, type CurveSeries } from './survival-svg.js';
export { escapeHtml, humanDuration, percent } from './format.js';
