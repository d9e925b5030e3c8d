/** One measured figure of a reliability spec. */
export interface ReliabilityFigure {
  /** What was measured, e.g. `PostgreSQL killed → database down`. */
  readonly what: string;
  /** The measurement, in milliseconds (or bytes, as `unit` says). */
  readonly value: number;
  readonly unit: 'ms' | 'bytes' | 'count';
  /** The bound it is held to, in the same unit, when there is one. */
  readonly bound?: number;
}

const figures: ReliabilityFigure[] = [];

/**
 * Keeps a figure for the report. Figures are never asserted on (timings depend on the
 * machine's load): the specs assert the logic behind each bound, and `RELIABILITY_FIGURES=1`
 * prints what they measured, for the README's reliability section.
 */
export function recordFigure(figure: ReliabilityFigure): void {
  figures.push(figure);
}

/** Prints the figures kept so far when `RELIABILITY_FIGURES=1`, then forgets them. */
export function reportFigures(title: string): void {
  const kept = figures.splice(0);
  if (!process.env.RELIABILITY_FIGURES || kept.length === 0) return;
  const lines = kept.map((f) => {
    const value = f.unit === 'ms' ? f.value.toFixed(0) : String(f.value);
    const bound = f.bound === undefined ? '' : ` (bound ${f.bound} ${f.unit})`;
    return `  ${f.what}: ${value} ${f.unit}${bound}`;
  });
  process.stdout.write(`\n${title}\n${lines.join('\n')}\n`);
}
