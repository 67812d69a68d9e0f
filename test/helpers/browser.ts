import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium; .ci/run installs it). Playwright never downloads one here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags this machine needs: without the networking ones Chromium keeps dialling out. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser tests can run. Missing Chromium under CI is a failure (CI installs it);
 * elsewhere the test skips and says why.
 */
export function chromiumAvailability(): { available: true } | { available: false; reason: string } {
  if (existsSync(CHROMIUM)) return { available: true };
  const reason = `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the browser tests`;
  if (process.env.CI) throw new Error(`${reason}; CI must have it`);
  return { available: false, reason };
}

/** describe() where Chromium is installed; elsewhere describe.skip, saying why (under CI: fails). */
export function describeWithChromium(name: string, body: () => void): void {
  const availability = chromiumAvailability();
  if (availability.available) return describe(name, body);
  console.warn(`SKIPPED ${name}: ${availability.reason}`);
  describe.skip(name, body);
}

export interface IsolatedBrowser {
  context: BrowserContext;
  page: Page;
  /** requests to anything but 127.0.0.1/localhost, each aborted */
  external: string[];
  /** Content-Security-Policy violations the page reported */
  cspViolations: string[];
  /** console errors and uncaught exceptions of the page */
  pageErrors: string[];
  close(): Promise<void>;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isLocal(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // data: and blob: never leave the machine
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:') return true;
  return (
    (parsed.protocol === 'http:' || parsed.protocol === 'https:' || parsed.protocol === 'ws:') &&
    LOCAL_HOSTS.has(parsed.hostname)
  );
}

export interface LaunchOptions {
  /** let pages write and read the clipboard (copy buttons, read back by the test) */
  clipboard?: boolean;
  viewport?: { width: number; height: number };
}

/**
 * Headless Chromium with a fresh profile, where every request is routed: local ones go through,
 * anything else is aborted and counted.
 */
export async function launchIsolated(options: LaunchOptions = {}): Promise<IsolatedBrowser> {
  // A new, empty profile for every run (Playwright takes it as launchPersistentContext's folder,
  // which is how it passes --user-data-dir).
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'empress-chromium-'));
  const external: string[] = [];
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  let context: BrowserContext | undefined;
  const cleanUp = async () => {
    await context?.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
      viewport: options.viewport ?? { width: 1400, height: 900 },
      permissions: options.clipboard ? ['clipboard-read', 'clipboard-write'] : [],
      serviceWorkers: 'block',
    });
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      external.push(url);
      return route.abort('blockedbyclient');
    });
    // WebSockets are not seen by route(): count them too.
    context.on('page', (p) =>
      p.on('websocket', (ws) => !isLocal(ws.url()) && external.push(ws.url())),
    );
    await context.exposeFunction('__reportCspViolation', (text: string) =>
      cspViolations.push(text),
    );
    await context.addInitScript(() => {
      // runs in the page (the project compiles without lib "dom", hence the narrow types)
      interface Violation {
        violatedDirective: string;
        blockedURI: string;
        sourceFile: string;
        lineNumber: number;
      }
      const page = globalThis as unknown as {
        document: { addEventListener(type: string, listener: (event: Violation) => void): void };
        __reportCspViolation(text: string): void;
      };
      page.document.addEventListener('securitypolicyviolation', (event) => {
        page.__reportCspViolation(
          `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`,
        );
      });
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('websocket', (ws) => !isLocal(ws.url()) && external.push(ws.url()));
    page.on('requestfailed', (request: Request) => {
      if (!isLocal(request.url()) && !external.includes(request.url()))
        external.push(request.url());
    });
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
    });
    return { context, page, external, cspViolations, pageErrors, close: cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
