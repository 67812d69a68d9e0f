import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { httpRequest } from '../helpers/http';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The web app is served by the service itself at `/`, on the same origin as /graphql: its pages
 * (index.html for every address the app routes) are never cached and carry the headers of a
 * careful web app; its built files have hashed names and are cached for a year. The first load
 * is at most 300 KB of gzipped JavaScript. Addresses of the API stay the API's: a 404 in its shape.
 */
const BUILT = path.resolve(__dirname, '..', '..', 'dist', 'web');
const MANIFEST = path.join(BUILT, '.vite', 'manifest.json');
if (!existsSync(MANIFEST)) throw new Error(`${MANIFEST} missing: run npm run build:web first`);

const FIRST_LOAD_BUDGET = 300 * 1024;

interface Chunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  css?: string[];
}
const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, Chunk>;

/** The JavaScript a browser loads before the app can draw: the entry and what it imports statically. */
function firstLoadFiles(): string[] {
  const entry = Object.keys(manifest).find((name) => manifest[name].isEntry);
  if (!entry) throw new Error('no entry in the manifest');
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const imported of manifest[name].imports ?? []) visit(imported);
  };
  visit(entry);
  return [...seen].map((name) => manifest[name].file);
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const html = { accept: 'text/html,application/xhtml+xml' };

describe('the web app at /', () => {
  it('serves index.html for / and every page address, never cached, with the page headers', async () => {
    for (const address of ['/', '/dashboard', '/teams/abc/settings/profile-team/api-access']) {
      const page = await httpRequest(`${t.url}${address}`, { headers: html });
      expect({ address, status: page.status }).toEqual({ address, status: 200 });
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('<div id="root">');
      expect(page.headers['cache-control']).toBe('no-store');
      const csp = page.headers['content-security-policy'] ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
      // no HSTS over plain HTTP: the header is only meaningful (and only honoured) over HTTPS
      expect(page.headers['strict-transport-security']).toBeUndefined();
      // no inline script for the policy to let through
      expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    }
  });

  it('serves the built files with a year of caching and their types, and nothing outside them', async () => {
    for (const file of firstLoadFiles()) {
      const asset = await httpRequest(`${t.url}/${file}`);
      expect({ file, status: asset.status }).toEqual({ file, status: 200 });
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(asset.headers['content-type']).toMatch(/^(application|text)\/javascript/);
      expect(asset.headers['x-content-type-options']).toBe('nosniff');
    }
    for (const probe of [
      '/assets/..%2F..%2Fpackage.json',
      '/assets/../index.html',
      '/assets/nope.js',
    ]) {
      const answer = await httpRequest(`${t.url}${probe}`);
      expect({ probe, status: answer.status }).toEqual({ probe, status: 404 });
      expect(answer.text).not.toContain('"dependencies"');
    }
  });

  it('keeps the API its own: unknown API addresses are 404 in the API shape, even for a browser', async () => {
    for (const address of ['/v1/nope', '/graphql/x', '/healthz/x', '/no-such-page']) {
      const answer = await httpRequest(`${t.url}${address}`, {
        headers: address === '/no-such-page' ? { accept: 'application/json' } : html,
      });
      expect({ address, status: answer.status }).toEqual({ address, status: 404 });
      expect(JSON.parse(answer.text)).toEqual({
        errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }],
      });
    }
  });

  it('loads at most 300 KB of gzipped JavaScript before the first page can draw', () => {
    const sizes = firstLoadFiles().map((file) => ({
      file,
      gzipped: gzipSync(readFileSync(path.join(BUILT, file)), { level: 9 }).length,
    }));
    const total = sizes.reduce((sum, s) => sum + s.gzipped, 0);
    console.log(`first load: ${(total / 1024).toFixed(1)} KB gzipped in ${sizes.length} files`);
    expect(total).toBeLessThanOrEqual(FIRST_LOAD_BUDGET);
  });
});
