/** The parts of `npm run bench` that `--only` selects (bench/run.ts); docs and tests name them from here. */
export const BENCH_PARTS = ['aggregate', 'large-run', 'synth-scale', 'config-load'] as const;
/** One part of the bench. */
export type BenchPart = (typeof BENCH_PARTS)[number];
