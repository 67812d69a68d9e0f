import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The README is the front door: what the service is, the two commands, a first request per kind of
 * caller and links by reader; the rest lives in docs/. The layout in docs/architecture.md names
 * every folder of src/, and nothing that is gone.
 */
const ROOT = path.resolve(__dirname, '..', '..');

describe('README.md', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  it('stays short', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(150);
  });

  it('has the two commands a newcomer runs, each on a line of its own', () => {
    const lines = readme.split('\n');
    expect(lines).toContain('npm install && npm start');
    expect(lines).toContain('npm install && npm test');
  });

  it('never sends a reader outside the repository for the API', () => {
    for (const page of [
      'README.md',
      ...readdirSync(path.join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ]) {
      expect({
        page,
        shared: readFileSync(path.join(ROOT, page), 'utf8').includes('../shared'),
      }).toEqual({ page, shared: false });
    }
  });
});

/** Folders under src/, as paths relative to it (`modules/api-key`). */
function folders(dir: string, prefix = ''): string[] {
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .flatMap((name) => [`${prefix}${name}`, ...folders(path.join(dir, name), `${prefix}${name}/`)]);
}

/** Folders the layout block names under `src/`, by their indentation (two spaces a level). */
function layoutFolders(markdown: string): string[] {
  const block = /## Layout[\s\S]*?```\n([\s\S]*?)```/.exec(markdown)?.[1] ?? '';
  const named: string[] = [];
  const stack: string[] = [];
  for (const line of block.split('\n')) {
    const match = /^( *)([\w.<>-]+)\/(\s|$)/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 2;
    stack.length = depth;
    stack[depth] = match[2];
    if (stack[0] === 'src' && depth > 0) named.push(stack.slice(1).join('/'));
  }
  return named;
}

describe('the layout in docs/architecture.md', () => {
  it('names every folder of src/, and only those', () => {
    const documented = layoutFolders(
      readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8'),
    );
    expect(documented.length).toBeGreaterThan(10);
    expect(documented.sort()).toEqual(folders(path.join(ROOT, 'src')).sort());
  });
});
