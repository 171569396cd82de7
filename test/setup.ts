// Global mocha set-up (loaded through .mocharc.cjs "require"): test-wide environment only.
// Database fixtures live in test/helpers/db.ts and are imported by the tests that need them.
process.env.NODE_ENV = 'test';
process.env.TZ = process.env.TZ ?? 'UTC';
