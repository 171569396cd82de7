// Mocha's configuration. `spec` (the whole suite) only when no test file is named on the command line:
// mocha appends command-line files to the configured spec, so `npx mocha test/x.test.ts` would otherwise run
// everything.
const named = process.argv.slice(2).some((a) => /\.test\.ts$/.test(a) || /^test\//.test(a));

module.exports = {
  extension: ['ts'],
  ...(named ? {} : { spec: ['test/**/*.test.ts'] }),
  'node-option': ['import=tsx/esm'],
  require: ['test/setup.ts'],
  timeout: 20000,
  exit: true,
  reporter: 'test/reporter.cjs',
};
