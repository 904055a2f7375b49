// Every Rust fixture reports exactly what its `// expect:` comments say, at those lines.
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { checkFixture, FIXTURES } from './kit';

for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.rs')).sort()) {
  test(`fixture ${f}`, async () => { await checkFixture(f); });
}
