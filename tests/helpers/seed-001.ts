/**
 * Seed 001's `planner.execute` exchange (shared/seeds/001, §5 and appendix A), written out once for the
 * bridge tests, the envelope and bridge bench suites and the JSON Schema tests.
 */

/** The envelope as a device writes it (seed 001 §5): `ts` a JSON number. */
export const SEED_ENVELOPE = {
  v: 1,
  ts: 1723622400000,
  corr: 'dE8x-7qF',
  intent: 'planner.execute',
  body: {
    objective: 'Draft release notes from baseline BA-2025-08',
    steps: [
      { name: 'persist.getBaseline', arguments: { corpusId: 'fc-main', baselineId: 'BA-2025-08' } },
      { name: 'analytics.summarize', arguments: { corpusId: 'fc-main' } },
    ],
  },
};

/** The planner's response to it (seed 001 appendix A, its `{...}` outputs filled in). */
export const PLANNER_RESPONSE = {
  status: 'success',
  results: [
    { step: 'persist.getBaseline', output: { content: 'Baseline text…' } },
    { step: 'analytics.summarize', output: { summary: 'Three fixes, one feature.' } },
  ],
};
