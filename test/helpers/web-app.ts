import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PASSWORD } from './factories';

/**
 * Driving the web app in Chromium (test/helpers/browser.ts launches it): signing in through the
 * page, axe-core's accessibility check, and screenshots under test-artifacts/.
 */

export const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'web');

/** Fill in the sign-in page and press "Sign in", as a person would. */
export async function submitSignIn(
  page: Page,
  baseUrl: string,
  email: string,
  password = PASSWORD,
): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Sign in through the sign-in page; resolves on the dashboard. */
export async function signInThroughPage(page: Page, baseUrl: string, email: string) {
  await submitSignIn(page, baseUrl, email);
  await page.waitForURL(/\/teams\/[^/]+\/dashboard|\/dashboard/);
}

/** Choose an option of a select (a Mantine Select: a text box and a list box) by its label. */
export async function choose(page: Page, label: string, option: string): Promise<void> {
  const select = page.getByRole('textbox', { name: label, exact: true });
  await select
    .or(page.getByLabel(label, { exact: true }))
    .first()
    .click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** What the page's clipboard holds (the browser must be launched with `clipboard: true`). */
export function readClipboard(page: Page): Promise<string> {
  return page.evaluate(() =>
    (
      globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
    ).navigator.clipboard.readText(),
  );
}

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

// axe-core's own build, read from node_modules: @axe-core/playwright wants Node 22
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core against the page as it is now (an open dialog included), WCAG 2.0-2.2 A and AA rules:
 * the serious and critical findings. The source is evaluated through the DevTools protocol, which
 * the page's Content-Security-Policy doesn't govern: the page keeps its real policy.
 */
export async function seriousAccessibilityFindings(page: Page): Promise<AxeFinding[]> {
  await page.evaluate(AXE_SOURCE);
  const findings = await page.evaluate(async () => {
    interface AxeResult {
      violations: {
        id: string;
        impact: string | null;
        help: string;
        nodes: { target: unknown[] }[];
      }[];
    }
    const axe = (globalThis as unknown as { axe: { run(options: object): Promise<AxeResult> } })
      .axe;
    const result = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      targets: v.nodes.map((n) => JSON.stringify(n.target)),
    }));
  });
  return findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
}

/** A full-page screenshot under test-artifacts/web/ (not committed). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Whether the page scrolls sideways: its content is wider than the window. */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const doc = (
      globalThis as unknown as {
        document: { documentElement: { scrollWidth: number; clientWidth: number } };
      }
    ).document.documentElement;
    return doc.scrollWidth > doc.clientWidth + 1;
  });
}
