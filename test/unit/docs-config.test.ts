/**
 * Every environment variable src/config.ts reads is documented: a row of docs/operations.md names it (in
 * backticks) and .env.example lists it (as `NAME=` or `# NAME=`). A variable added to the config without its
 * documentation fails here.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ENV_VARIABLES } from '../../src/config.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** Names read from the schema plus any read directly (`source.X`, `source['X']`, `process.env.X`) in config.ts. */
function variablesReadByConfig(): string[] {
  const text = read('src/config.ts');
  const direct = [...text.matchAll(/(?:source|process\.env)(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)].map((m) => m[1] ?? m[2]!);
  return [...new Set([...ENV_VARIABLES, ...direct])].sort();
}

describe('configuration documentation', () => {
  const variables = variablesReadByConfig();

  it('reads a plausible set of variables (the parser of this test works)', () => {
    expect(variables).to.include.members(['DATABASE_URL', 'SECRET_KEY', 'PORTONE_IMP_KEY', 'NODE_ENV']);
    expect(variables.length).to.be.greaterThan(50);
  });

  it('docs/operations.md names every variable', () => {
    const doc = read('docs/operations.md');
    const missing = variables.filter((v) => !doc.includes(`\`${v}\``));
    expect(missing, 'variables missing from docs/operations.md').to.deep.equal([]);
  });

  it('.env.example lists every variable', () => {
    const example = read('.env.example');
    const missing = variables.filter((v) => !new RegExp(`^#?\\s*${v}=`, 'm').test(example));
    expect(missing, 'variables missing from .env.example').to.deep.equal([]);
  });
});
