/** The bench's output: one row per metric (ours, peer, ratio, goal, verdict) as a terminal table and JSON. */
import { cpus, totalmem, release } from 'node:os';
import type { Summary } from './stats.js';

export interface Row {
  metric: string;
  unit: string;
  ours: Summary;
  peerName: string;
  peer: Summary;
  /** ours ÷ peer of the medians. */
  ratio: number;
  goal: string;
  /** null: reported, no goal to meet. */
  pass: boolean | null;
}

type Better = 'higher' | 'lower';

/** A row judged by its ratio to the peer: ≥ limit when higher is better, ≤ limit when lower is. */
export function ratioRow(metric: string, unit: string, ours: Summary, peerName: string, peer: Summary, better: Better, limit = 1): Row {
  const ratio = ours.median / peer.median;
  const pass = Number.isFinite(ratio) ? (better === 'higher' ? ratio >= limit : ratio <= limit) : false;
  return { metric, unit, ours, peerName, peer, ratio, goal: `${better === 'higher' ? '≥' : '≤'} ${limit.toFixed(1)}× ${peerName}`, pass };
}

/** A row judged by an absolute bound on ours; the peer is shown for context. */
export function boundRow(metric: string, unit: string, ours: Summary, peerName: string, peer: Summary, goal: string, pass: boolean | null): Row {
  return { metric, unit, ours, peerName, peer, ratio: ours.median / peer.median, goal, pass };
}

function number(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

export function formatSummary(summary: Summary): string {
  if (summary.runs.length <= 1 || summary.min === summary.max) return number(summary.median);
  return `${number(summary.median)} [${number(summary.min)}–${number(summary.max)}]`;
}

function verdict(pass: boolean | null): string {
  return pass === null ? '–' : pass ? '✓' : '✗';
}

export function renderTable(rows: Row[]): string {
  const header = ['metric', 'ours', 'peer', 'ratio', 'goal', ''];
  const cells = rows.map((row) => [
    `${row.metric} (${row.unit})`,
    formatSummary(row.ours),
    `${formatSummary(row.peer)} ${row.peerName}`,
    Number.isFinite(row.ratio) ? `${number(row.ratio)}×` : 'n/a',
    row.goal,
    verdict(row.pass),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => [...line[column]].length)));
  const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - [...text].length));
  const format = (line: string[]) => `| ${line.map((cell, column) => pad(cell, widths[column])).join(' | ')} |`;
  return [format(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...cells.map(format)].join('\n');
}

export function machine() {
  const list = cpus();
  return { cpus: list.length, cpuModel: list[0]?.model ?? 'unknown', memoryBytes: totalmem(), kernel: release(), platform: process.platform };
}
